"""Adverse events up to the cut-off: the summary by SOC, term and worst CTCAE grade, and the
listings of grade >= 3 events, SAEs with their reporting clocks, and infusion reactions.

The unit is the safety overview's episode (``safety.overview``): an episode's records dated on
or before the cut-off are kept (a grade change after it does not count yet), and the overview's
own ``summarise`` counts them. SAE clocks are ``safety.sae.clocks`` at the end of the cut-off
day, with only the reports submitted by then.

``tables`` reads the episodes subject by subject (``overview.episodes`` of one subject),
adding each subject's to the overview's ``TermTally`` and to counts that add up; what it keeps
is the text of the tables and the ids of the records that count.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from studyapp.auth.models import User
from studyapp.extensions import db
from studyapp.safety import overview, sae
from studyapp.safety.models import AdverseEvent
from studyapp.subjects.labels import label

from .cutoff import Cut, local_time, yes
from .exposure import dose_numbers

Rows = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class AeTables:
    """The adverse event tables at the cut-off, as text: the events are read once, at the
    start, and no database object of them is kept while the report is laid out."""

    grades: Rows
    terms: Rows
    severe: Rows
    saes: Rows
    irrs: Rows
    #: The ids of the AE records dated on or before the cut-off.
    known: frozenset[int]
    #: Episodes counted (the audit trail's ``adverse_events``).
    events: int


@dataclass
class _Totals:
    """The counts of the AE tables, added subject by subject, and the listings' rows."""

    terms: overview.TermTally = field(default_factory=overview.TermTally)
    #: Episodes by their worst grade, and subjects by their worst grade over every episode.
    events: Counter[int] = field(default_factory=Counter)
    subjects: Counter[int] = field(default_factory=Counter)
    with_events: int = 0
    episodes: int = 0
    severe: list[tuple[str, ...]] = field(default_factory=list)
    irrs: list[tuple[str, ...]] = field(default_factory=list)
    known: set[int] = field(default_factory=set)

    def add(self, kept: list[overview.Episode], cut: Cut) -> None:
        """One subject's episodes at the cut-off (the safety overview's summary of them)."""
        part = overview.summarise(kept)
        self.terms.add(kept)
        self.events.update(e.worst for e in kept)
        self.subjects.update(part.subjects_by_grade)
        self.with_events += len(part.by_subject)
        self.episodes += len(kept)
        self.severe += [_event_row(e, cut) for e in part.severe]
        doses = dose_numbers({e.subject for e in part.irrs}, cut) if part.irrs else {}
        self.irrs += [_irr_row(e, cut, doses) for e in part.irrs]
        self.known.update(r.id for e in kept for r in e.records)


def tables(actor: User, cut: Cut) -> AeTables:
    """The AE summary and listings at the cut-off, subject by subject."""
    totals = _Totals()
    with_events = select(AdverseEvent.subject_id).where(AdverseEvent.deleted_at.is_(None))
    ids = db.session.scalars(with_events.distinct().order_by(AdverseEvent.subject_id)).all()
    for subject_id in ids:
        kept = episodes_at(cut, subject_id)
        if kept:
            totals.add(kept, cut)
    return AeTables(
        grades=grade_rows(totals),
        terms=term_rows(totals.terms),
        severe=tuple(totals.severe),
        saes=sae_rows(actor, totals.known, cut),
        irrs=tuple(totals.irrs),
        known=frozenset(totals.known),
        events=totals.episodes,
    )


def episodes_at(cut: Cut, subject_id: int | None = None) -> list[overview.Episode]:
    """Every episode (or one subject's) with the records whose onset is on or before the
    cut-off."""
    out = []
    for episode in overview.episodes(subject_id):
        kept = [r for r in episode.records if cut.partial(r.start_date)]
        if kept:
            out.append(overview.Episode(episode.subject, kept))
    return out


def ongoing_at(episode: overview.Episode, cut: Cut) -> bool:
    """Still going at the cut-off: no end date, or one after it."""
    last = episode.last
    return not last.end_date or cut.after(last.end_date)


def _outcome(episode: overview.Episode, cut: Cut) -> str:
    if ongoing_at(episode, cut):
        return _("ongoing at the cut-off")
    return label("ae_outcome", episode.last.aeout)


def _grades(episode: overview.Episode) -> str:
    return " > ".join(str(g) for g in episode.grades)


def grade_rows(totals: _Totals) -> Rows:
    """Subjects at their worst grade over every event, and events at their worst grade."""
    rows = [
        (_("Grade %(g)d", g=g), str(totals.subjects[g]), str(totals.events[g]))
        for g in overview.GRADES
    ]
    total = (_("Any grade"), str(totals.with_events), str(totals.episodes))
    return (*rows, total)


def term_rows(terms: overview.TermTally) -> Rows:
    return tuple(
        (
            row.soc or _("(not coded)"),
            row.term,
            str(row.subjects),
            str(row.episodes),
            *(str(row.by_grade[g]) for g in overview.GRADES),
        )
        for row in terms.rows()
    )


def term_header() -> tuple[str, ...]:
    grades = tuple(_("G%(g)d", g=g) for g in overview.GRADES)
    return (_("System organ class"), _("Term"), _("Subjects"), _("Events"), *grades)


def _event_row(episode: overview.Episode, cut: Cut) -> tuple[str, ...]:
    first = episode.first
    return (
        episode.subject.label,
        first.label,
        first.term,
        _grades(episode),
        first.start_date or "",
        "" if ongoing_at(episode, cut) else episode.last.end_date or "",
        yes(episode.serious),
        yes(episode.related),
        _outcome(episode, cut),
    )


def event_header() -> tuple[str, ...]:
    return (
        _("Subject"),
        _("AE no."),
        _("Term"),
        _("Grades"),
        _("Onset"),
        _("End"),
        _("Serious"),
        _("Related"),
        _("Outcome"),
    )


def _dose_number(record: AdverseEvent, doses: dict[int, int]) -> str:
    if record.dose_id is None:
        return ""
    return _("Dose %(n)d", n=doses[record.dose_id]) if record.dose_id in doses else ""


def _irr_row(e: overview.Episode, cut: Cut, doses: dict[int, int]) -> tuple[str, ...]:
    """An infusion reaction with the dose it followed and the action taken."""
    return (
        e.subject.label,
        e.first.label,
        e.first.term,
        _grades(e),
        e.first.start_date or "",
        _dose_number(e.first, doses),
        label("acn", e.last.aeacn),
        _outcome(e, cut),
    )


def sae_rows(actor: User, kept: set[int], cut: Cut) -> Rows:
    """Each SAE known by the cut-off (its record among *kept*, those dated on or before it),
    one row per required report, with its clock then."""
    rows = []
    for item in sorted(sae.saes(actor, cut.end), key=lambda s: (s.subject.id, s.record.id)):
        if item.record.id not in kept or not cut.moment(item.record.aware_at):
            continue
        sent = [r for r in item.reports if cut.moment(r.submitted_at)]
        for clock in sae.clocks(item.record, sent, cut.end):
            times = [r.submitted_at for r in sent if r.kind == clock.kind and r.submitted_at]
            submitted = min(times, default=None)
            rows.append(
                (
                    item.subject.label,
                    item.record.label,
                    item.record.term,
                    local_time(item.record.aware_at),
                    label("report_kind", clock.kind),
                    local_time(clock.deadline),
                    label("clock", clock.state),
                    local_time(submitted),
                )
            )
    return tuple(rows)
