"""Adverse events up to the cut-off: the summary by SOC, term and worst CTCAE grade, and the
listings of grade >= 3 events, SAEs with their reporting clocks, and infusion reactions.

The unit is the safety overview's episode (``safety.overview``): an episode's records dated on
or before the cut-off are kept (a grade change after it does not count yet), and the overview's
own ``summarise`` counts them. SAE clocks are ``safety.sae.clocks`` at the end of the cut-off
day, with only the reports submitted by then.
"""

from __future__ import annotations

from flask_babel import gettext as _

from studyapp.auth.models import User
from studyapp.safety import overview, sae
from studyapp.safety.models import AdverseEvent
from studyapp.subjects.labels import label

from .cutoff import Cut, local_time, yes

Rows = tuple[tuple[str, ...], ...]


def episodes_at(cut: Cut) -> list[overview.Episode]:
    """Every episode with the records whose onset is on or before the cut-off."""
    out = []
    for episode in overview.episodes():
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


def grade_rows(summary: overview.Overview) -> Rows:
    """Subjects at their worst grade over every event, and events at their worst grade."""
    events = {g: sum(1 for e in summary.episodes if e.worst == g) for g in overview.GRADES}
    rows = [
        (_("Grade %(g)d", g=g), str(summary.subjects_by_grade.get(g, 0)), str(events[g]))
        for g in overview.GRADES
    ]
    total = (_("Any grade"), str(len(summary.by_subject)), str(len(summary.episodes)))
    return (*rows, total)


def term_rows(summary: overview.Overview) -> Rows:
    return tuple(
        (
            row.soc or _("(not coded)"),
            row.term,
            str(row.subjects),
            str(row.episodes),
            *(str(row.by_grade[g]) for g in overview.GRADES),
        )
        for row in summary.by_term
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


def severe_rows(summary: overview.Overview, cut: Cut) -> Rows:
    return tuple(_event_row(e, cut) for e in summary.severe)


def _dose_number(record: AdverseEvent, doses: dict[int, int]) -> str:
    if record.dose_id is None:
        return ""
    return _("Dose %(n)d", n=doses[record.dose_id]) if record.dose_id in doses else ""


def irr_rows(summary: overview.Overview, cut: Cut, doses: dict[int, int]) -> Rows:
    """Infusion reactions with the dose they followed and the action taken."""
    return tuple(
        (
            e.subject.label,
            e.first.label,
            e.first.term,
            _grades(e),
            e.first.start_date or "",
            _dose_number(e.first, doses),
            label("acn", e.last.aeacn),
            _outcome(e, cut),
        )
        for e in summary.irrs
    )


def sae_rows(actor: User, summary: overview.Overview, cut: Cut) -> Rows:
    """Each SAE known by the cut-off, one row per required report, with its clock then."""
    kept = {r.id for e in summary.episodes for r in e.records}
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
