"""Adverse event rules: relatedness, reporting clocks, SUSARs, worst grade and DLT candidacy.

Pure functions of their arguments and the protocol's rules (DOMAIN.md section 6):

* ``is_related``: the 5-point relationship scale mapped to related / not related (AEREL);
* ``clock``: a report's deadline from awareness and its state at a given moment (open,
  overdue, met, late) with the time left;
* ``expedited_kinds``: the expedited reports a SUSAR needs (7/15 days, NMPA/CDE 2018);
* ``worst_grades``: the worst CTCAE grade per subject and term, over every record of an event
  whose grade changed (the protocol records a grade change as a new record);
* ``dlt_check``: whether an AE of a run-in subject is a candidate dose-limiting toxicity, with
  the exceptions of the definition the investigator must weigh before confirming it;
* ``hys_law``: ALT or AST >= 3 x ULN with total bilirubin >= 2 x ULN in the same draw [P];
  ``bleeding_dlt``: drug-related bleeding of WHO grade >= 3 [P]. Both feed ``dlt_check``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from studyapp.clinical.grading import in_dlt_window, report_deadline
from studyapp.clinical.units import Number, to_decimal
from studyapp.protocol.model import DltDefinition, RunInRule, SafetyRule

#: Clock states: not yet reported and before / after the deadline; reported on time / late.
OPEN, OVERDUE, MET, LATE = "open", "overdue", "met", "late"
CLOCK_STATES = (OPEN, OVERDUE, MET, LATE)


def is_related(relatedness: str, rule: SafetyRule, at_least: str | None = None) -> bool:
    """True when *relatedness* is *at_least* (default ``rule.related_from``) or closer on the
    protocol's scale; the DLT definition passes its own ``min_relatedness``."""
    threshold = rule.related_from if at_least is None else at_least
    for value in (relatedness, threshold):
        if value not in rule.relatedness:
            raise ValueError(
                f"unknown relatedness {value!r}; allowed: {', '.join(rule.relatedness)}"
            )
    return rule.relatedness.index(relatedness) >= rule.relatedness.index(threshold)


@dataclass(frozen=True)
class Clock:
    """A report's deadline and where it stands at ``now``."""

    kind: str
    deadline: datetime
    state: str
    #: deadline - now while open or overdue (negative when overdue); None once reported.
    remaining: timedelta | None


def clock(
    kind: str,
    aware_at: datetime,
    rule: SafetyRule,
    *,
    now: datetime,
    submitted_at: datetime | None = None,
) -> Clock:
    """The *kind* report's clock (see ``grading.report_deadline``) at *now* (tz-aware).

    Reported at or before the deadline is ``met``, after it ``late``; not reported yet is
    ``open`` up to and including the deadline, ``overdue`` after it.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got naive {now.isoformat()}")
    deadline = report_deadline(kind, aware_at, rule)
    if submitted_at is not None:
        if submitted_at.tzinfo is None or submitted_at.utcoffset() is None:
            raise ValueError("submitted_at must be timezone-aware")
        on_time = submitted_at.astimezone(UTC) <= deadline.astimezone(UTC)
        return Clock(kind, deadline, MET if on_time else LATE, None)
    # In UTC: aware datetimes of one zone compare and subtract by wall time in Python.
    left = deadline.astimezone(UTC) - now.astimezone(UTC)
    return Clock(kind, deadline, OPEN if left >= timedelta(0) else OVERDUE, left)


def expedited_kinds(
    *, serious: bool, related: bool, expected: bool, fatal_or_life_threatening: bool
) -> tuple[str, ...]:
    """The expedited reports a suspected unexpected serious adverse reaction needs.

    Not a SUSAR (not serious, not related or expected): none. Fatal or life-threatening:
    the 7-day report and its follow-up; otherwise the 15-day report.
    """
    if not (serious and related and not expected):
        return ()
    if fatal_or_life_threatening:
        return ("SUSAR_FATAL", "SUSAR_FATAL_FOLLOWUP")
    return ("SUSAR",)


@dataclass(frozen=True)
class GradedRecord:
    """One AE record: whose, which term, its grade and the episode (first record) it is of."""

    subject: str
    term: str
    grade: int
    episode: int


def worst_grades(records: Iterable[GradedRecord]) -> dict[tuple[str, str], int]:
    """The worst grade per (subject, term) over all records, every grade of every episode.

    An event whose grade changed has one record per grade: its worst grade is the highest,
    not the latest. Terms compare case-insensitively after trimming (kept as first seen).
    """
    worst: dict[tuple[str, str], int] = {}
    names: dict[tuple[str, str], str] = {}
    for record in records:
        if isinstance(record.grade, bool) or not 1 <= record.grade <= 5:
            raise ValueError(f"CTCAE grade must be 1-5, got {record.grade!r}")
        key = (record.subject, record.term.strip().casefold())
        names.setdefault(key, record.term.strip())
        worst[key] = max(worst.get(key, 0), record.grade)
    return {(key[0], names[key]): grade for key, grade in worst.items()}


def episode_worst(records: Iterable[GradedRecord]) -> dict[int, int]:
    """The worst grade of each episode (an event and its grade-change records)."""
    worst: dict[int, int] = {}
    for record in records:
        if isinstance(record.grade, bool) or not 1 <= record.grade <= 5:
            raise ValueError(f"CTCAE grade must be 1-5, got {record.grade!r}")
        worst[record.episode] = max(worst.get(record.episode, 0), record.grade)
    return worst


# --- dose-limiting toxicity -----------------------------------------------------------------

#: Why an AE is or is not a DLT candidate.
NOT_IN_WINDOW = "not_in_window"
NOT_RELATED = "not_related"
LOW_PLATELETS = "low_platelets"
DEATH = "death"
IRR = "irr"
NEUTROPENIA = "neutropenia"
FEBRILE_NEUTROPENIA = "febrile_neutropenia"
NON_HEMATOLOGIC = "non_hematologic"
HYS_LAW = "hys_law"
BLEEDING = "bleeding"
BELOW_GRADE = "below_grade"
HEMATOLOGIC = "hematologic"
#: Exceptions of the definition the investigator weighs before confirming a candidate.
IRR_RESOLVED = "irr_resolved"
GI_CONTROLLED = "gi_controlled"
LAB_RESOLVED = "lab_resolved"
NEUTROPENIA_DURATION = "neutropenia_duration"
#: Hy's law without ALP: cholestasis cannot be excluded, the investigator confirms.
CHOLESTASIS_NOT_EXCLUDED = "cholestasis_not_excluded"
ONSET_UNCERTAIN = "onset_uncertain"


@dataclass(frozen=True)
class DltInput:
    """What the DLT definition looks at: onset study days, grade, relation, term and SOC.

    A partial onset date gives the first and last study day it may be (equal when full).
    """

    first_day: int
    last_day: int
    grade: int
    related: bool
    term: str
    soc: str
    #: The AE stands for a draw meeting Hy's law (``hys_law``), judged by the caller.
    hys_law: bool = False
    #: The worst WHO bleeding grade (0-4) of the event, when the AE is a bleeding.
    who_bleeding_grade: int | None = None


def hys_law(draw: Mapping[str, tuple[Number | None, Number | None]], rule: DltDefinition) -> bool:
    """Hy's law [P]: an aminotransferase (``hys_law_aminotransferase_tests``: ALT, AST) >=
    ``hys_law_aminotransferase_uln`` (3) x ULN with total bilirubin (``hys_law_bilirubin_test``)
    >= ``hys_law_bilirubin_uln`` (2) x ULN, in one draw; thresholds inclusive.

    *draw*: test code -> (value, ULN) in one unit per test; a test not in the draw or not
    measured (value None) never meets. False when the protocol leaves Hy's law out. ValueError
    for a negative or non-finite value, or a measured value without a positive ULN.
    """
    if not rule.hys_law:
        return False
    enzymes = [(code, _measured(draw, code)) for code in rule.hys_law_aminotransferase_tests]
    high = any(
        _times_uln(r, code) >= rule.hys_law_aminotransferase_uln
        for code, r in enzymes
        if r is not None
    )
    code = rule.hys_law_bilirubin_test
    bili = _measured(draw, code)
    if not high or bili is None:
        return False
    return _times_uln(bili, code) >= rule.hys_law_bilirubin_uln


def _measured(
    draw: Mapping[str, tuple[Number | None, Number | None]], code: str
) -> tuple[Number, Number | None] | None:
    value, uln = draw.get(code, (None, None))
    return None if value is None else (value, uln)


def _times_uln(reading: tuple[Number, Number | None], testcd: str) -> Decimal:
    """A measured value as a multiple of its ULN."""
    value, uln = reading
    if uln is None:
        raise ValueError(f"{testcd}: Hy's law needs the laboratory's ULN")
    limit = to_decimal(uln, f"{testcd} uln")
    if limit == 0:
        raise ValueError(f"{testcd}: the ULN must be > 0")
    return to_decimal(value, testcd) / limit


def is_bleeding_term(term: str, rule: DltDefinition) -> bool:
    """True for a CTCAE term that is a bleeding: one of ``bleeding_terms`` or a term containing
    one of ``bleeding_term_words`` (case-insensitive)."""
    name = term.strip().casefold()
    return _same(term, rule.bleeding_terms) or any(
        w.casefold() in name for w in rule.bleeding_term_words
    )


def bleeding_dlt(who_grade: int, related: bool, rule: DltDefinition) -> bool:
    """Drug-related bleeding of WHO grade >= ``bleeding_min_who_grade`` (3) [P]. The DLT window
    is judged on the date WHO grade 3 is first reached (the caller's onset)."""
    if isinstance(who_grade, bool) or not isinstance(who_grade, int) or not 0 <= who_grade <= 4:
        raise ValueError(f"WHO bleeding grade must be an integer 0-4, got {who_grade!r}")
    return related and who_grade >= rule.bleeding_min_who_grade


@dataclass(frozen=True)
class DltCheck:
    candidate: bool
    reason: str
    exceptions: tuple[str, ...] = ()


def _in_window(event: DltInput, window: RunInRule) -> tuple[bool, bool]:
    """(may be in the window, certainly in it) for the onset's possible study days."""
    days = [d for d in range(event.first_day, event.last_day + 1) if d != 0]
    inside = [in_dlt_window(d, window) for d in days]
    return any(inside), all(inside)


def _same(name: str, names: Iterable[str] | str) -> bool:
    """CTCAE names compare case-insensitively, surrounding spaces ignored."""
    wanted = [names] if isinstance(names, str) else list(names)
    return name.strip().casefold() in {n.strip().casefold() for n in wanted}


def _hematologic(event: DltInput, rule: DltDefinition) -> bool:
    return _same(event.soc, rule.hematologic_socs) or _same(event.term, rule.hematologic_terms)


def dlt_check(event: DltInput, rule: DltDefinition, window: RunInRule) -> DltCheck:
    """Whether the AE is a candidate DLT under the protocol's definition [P].

    In the window (a partial onset that may fall in it counts, flagged ``onset_uncertain``)
    and at least possibly related: death; Hy's law (``hys_law``; the investigator confirms, as
    cholestasis cannot be excluded without ALP); bleeding of WHO grade >= 3; IRR or
    anaphylaxis of grade >= 4 (grade 3 is a candidate unless back to <= 1 within the
    protocol's hours); febrile neutropenia; grade 4
    neutropenia (if it lasts more than the protocol's days); any other non-haematological
    toxicity of grade >= 3 (GI and asymptomatic lab exceptions). Low platelets alone never.
    """
    if event.last_day < event.first_day:
        raise ValueError("last_day must not be before first_day")
    if isinstance(event.grade, bool) or not 1 <= event.grade <= 5:
        raise ValueError(f"CTCAE grade must be 1-5, got {event.grade!r}")
    maybe, surely = _in_window(event, window)
    uncertain = () if surely else (ONSET_UNCERTAIN,)
    if not maybe:
        return DltCheck(False, NOT_IN_WINDOW)
    if not event.related:
        return DltCheck(False, NOT_RELATED)
    if event.grade == 5 and rule.death:
        return DltCheck(True, DEATH, uncertain)
    if event.hys_law and rule.hys_law:
        return DltCheck(True, HYS_LAW, (CHOLESTASIS_NOT_EXCLUDED, *uncertain))
    who = event.who_bleeding_grade
    if who is not None and bleeding_dlt(who, event.related, rule):
        return DltCheck(True, BLEEDING, uncertain)
    if _same(event.term, rule.platelet_term) and not rule.low_platelets_alone:
        return DltCheck(False, LOW_PLATELETS)
    found = _classify(event, rule)
    if found is None:
        return DltCheck(False, BELOW_GRADE if not _hematologic(event, rule) else HEMATOLOGIC)
    reason, exceptions = found
    return DltCheck(True, reason, exceptions + uncertain)


def _classify(event: DltInput, rule: DltDefinition) -> tuple[str, tuple[str, ...]] | None:
    """The candidate reason and exceptions for an in-window related AE, or None."""
    grade = event.grade
    if _same(event.term, rule.irr_terms):
        if grade >= rule.irr_or_anaphylaxis_min_grade:
            return IRR, ()
        if grade >= rule.nonhematologic_min_grade:
            return IRR, (IRR_RESOLVED,)
        return None
    if _same(event.term, rule.febrile_neutropenia_term) and rule.febrile_neutropenia:
        return FEBRILE_NEUTROPENIA, ()
    if _same(event.term, rule.neutropenia_term):
        return (NEUTROPENIA, (NEUTROPENIA_DURATION,)) if grade >= 4 else None
    if _hematologic(event, rule) or grade < rule.nonhematologic_min_grade:
        return None
    exceptions: tuple[str, ...] = ()
    if grade == 3 and _same(event.soc, rule.gi_socs):
        exceptions = (GI_CONTROLLED,)
    elif grade == 3 and _same(event.soc, rule.lab_socs):
        exceptions = (LAB_RESOLVED,)
    return NON_HEMATOLOGIC, exceptions
