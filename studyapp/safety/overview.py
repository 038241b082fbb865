"""The safety overview: AEs by subject, by SOC and term, by worst grade, SAEs, DLTs and
infusion reactions, with filters.

The unit is the *episode*: an event and its grade-change records. Its worst grade is the
highest of its records (``clinical.adverse``), never the latest; counts by term count subjects
at their worst grade for that term.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from studyapp import codelists
from studyapp.auth.models import User
from studyapp.clinical import adverse
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.safety.models import CONFIRMED, REJECTED, AdverseEvent
from studyapp.subjects.models import Subject

GRADES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Filters:
    subject_id: int | None = None
    soc: str | None = None
    term: str | None = None
    min_grade: int | None = None
    serious: bool = False
    dlt: bool = False
    irr: bool = False
    related: bool = False


@dataclass
class Episode:
    subject: Subject
    records: list[AdverseEvent]

    @property
    def first(self) -> AdverseEvent:
        return self.records[0]

    @property
    def last(self) -> AdverseEvent:
        return self.records[-1]

    @property
    def worst(self) -> int:
        return max((r.grade or 0 for r in self.records), default=0)

    @property
    def grades(self) -> list[int]:
        return [r.grade for r in self.records if r.grade]

    @property
    def serious(self) -> bool:
        return any(r.aeser for r in self.records)

    @property
    def related(self) -> bool:
        return any(r.aerel == codelists.RELATED for r in self.records)

    @property
    def irr(self) -> bool:
        return any(r.irr for r in self.records)

    @property
    def dlt(self) -> str | None:
        """``confirmed``, ``candidate`` (undecided) or None."""
        if any(r.dlt_decision == CONFIRMED for r in self.records):
            return CONFIRMED
        if any(r.dlt_candidate and r.dlt_decision != REJECTED for r in self.records):
            return "candidate"
        return None


@dataclass(frozen=True)
class TermRow:
    soc: str
    term: str
    subjects: int
    episodes: int
    by_grade: dict[int, int]  # subjects at their worst grade for the term


@dataclass(frozen=True)
class SubjectRow:
    subject: Subject
    episodes: int
    worst: int
    serious: int
    dlts: int
    irrs: int


@dataclass
class Overview:
    episodes: list[Episode]
    by_term: list[TermRow] = field(default_factory=list)
    by_subject: list[SubjectRow] = field(default_factory=list)
    #: Subjects by their worst grade over every event (each subject counted once).
    subjects_by_grade: dict[int, int] = field(default_factory=dict)
    socs: list[str] = field(default_factory=list)

    @property
    def severe(self) -> list[Episode]:
        return [e for e in self.episodes if e.worst >= 3]

    @property
    def severe_or_serious(self) -> list[Episode]:
        """What the safety review asks first: events of grade >= 3 and SAEs so far."""
        return [e for e in self.episodes if e.worst >= 3 or e.serious]

    @property
    def serious(self) -> list[Episode]:
        return [e for e in self.episodes if e.serious]

    @property
    def dlts(self) -> list[Episode]:
        return [e for e in self.episodes if e.dlt]

    @property
    def irrs(self) -> list[Episode]:
        return [e for e in self.episodes if e.irr]


def episodes(subject_id: int | None = None) -> list[Episode]:
    """Every episode (not removed), by subject then AE number."""
    query = (
        select(AdverseEvent, Subject)
        .join(Subject, Subject.id == AdverseEvent.subject_id)
        .where(AdverseEvent.deleted_at.is_(None))
        .order_by(Subject.id, AdverseEvent.episode_id, AdverseEvent.id)
    )
    if subject_id is not None:
        query = query.where(AdverseEvent.subject_id == subject_id)
    grouped: dict[int | None, Episode] = {}
    for record, subject in db.session.execute(query).all():
        grouped.setdefault(record.episode_id, Episode(subject, [])).records.append(record)
    return list(grouped.values())


def _keep(episode: Episode, filters: Filters) -> bool:
    checks = (
        filters.subject_id is None or episode.subject.id == filters.subject_id,
        filters.soc is None or episode.first.aesoc == filters.soc,
        filters.term is None or episode.first.term.casefold() == filters.term.casefold(),
        filters.min_grade is None or episode.worst >= filters.min_grade,
        not filters.serious or episode.serious,
        not filters.dlt or episode.dlt is not None,
        not filters.irr or episode.irr,
        not filters.related or episode.related,
    )
    return all(checks)


def _graded(kept: list[Episode]) -> list[adverse.GradedRecord]:
    return [
        adverse.GradedRecord(e.subject.label, e.first.term, r.grade, e.first.id)
        for e in kept
        for r in e.records
        if r.grade
    ]


@dataclass
class TermTally:
    """What the counts by term are made of, added a few episodes at a time in the order
    ``episodes`` lists them (the safety report reads the study subject by subject): ``rows``
    answers the rows of all the episodes added, as if given at once."""

    graded: list[adverse.GradedRecord] = field(default_factory=list)
    #: SOC by term (trimmed, casefolded): the last episode's.
    socs: dict[str, str] = field(default_factory=dict)
    #: Episodes by term (trimmed, casefolded).
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, kept: list[Episode]) -> None:
        self.graded += _graded(kept)
        self.socs.update({e.first.term.strip().casefold(): e.first.aesoc or "" for e in kept})
        self.counts.update(e.first.term.strip().casefold() for e in kept)

    def rows(self) -> list[TermRow]:
        """Subjects at their worst grade for each term, by SOC then most subjects."""
        rows: dict[str, dict[int, int]] = {}
        names: dict[str, str] = {}
        for (_subject, term), grade in adverse.worst_grades(self.graded).items():
            key = term.strip().casefold()
            names.setdefault(key, term)
            rows.setdefault(key, dict.fromkeys(GRADES, 0))[grade] += 1
        out = [
            TermRow(self.socs.get(key, ""), names[key], sum(g.values()), self.counts[key], g)
            for key, g in rows.items()
        ]
        return sorted(out, key=lambda r: (r.soc, -r.subjects, r.term))


def _by_term(kept: list[Episode]) -> list[TermRow]:
    tally = TermTally()
    tally.add(kept)
    return tally.rows()


def _by_subject(kept: list[Episode]) -> list[SubjectRow]:
    per: dict[int, list[Episode]] = {}
    for e in kept:
        per.setdefault(e.subject.id, []).append(e)
    return [
        SubjectRow(
            subject=group[0].subject,
            episodes=len(group),
            worst=max(e.worst for e in group),
            serious=sum(1 for e in group if e.serious),
            dlts=sum(1 for e in group if e.dlt == CONFIRMED),
            irrs=sum(1 for e in group if e.irr),
        )
        for group in per.values()
    ]


def overview(actor: User, filters: Filters | None = None) -> Overview:
    """The overview of every AE episode that passes *filters*."""
    require(actor, Action.VIEW_STUDY_DATA)
    filters = filters or Filters()
    everything = episodes()
    return summarise([e for e in everything if _keep(e, filters)], everything)


def summarise(kept: list[Episode], everything: list[Episode] | None = None) -> Overview:
    """The overview of the episodes *kept* (the safety report passes those of its cut-off);
    the SOC choices come from *everything* (default: the episodes kept)."""
    by_subject = _by_subject(kept)
    grades = Counter(row.worst for row in by_subject if row.worst)
    return Overview(
        episodes=kept,
        by_term=_by_term(kept),
        by_subject=by_subject,
        subjects_by_grade={g: grades.get(g, 0) for g in GRADES},
        socs=sorted({e.first.aesoc for e in (everything or kept) if e.first.aesoc}),
    )
