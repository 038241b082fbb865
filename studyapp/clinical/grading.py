"""Adverse-event rules: CTCAE v5.0 lab grades, ICH E2A seriousness, reporting clocks, run-in.

* ``lab_grade``: CTCAE v5.0 grade of a lab value (tables in ``ctcae_tables``). Faithful to
  CTCAE: in this ITP trial the baseline platelet count is already grade 3-4, and deciding when a
  low count is an adverse event ("significant worsening", DOMAIN.md section 6) is the caller's.
* ``is_serious``: ICH E2A seriousness criteria (CDISC AESDTH ... AESMIE). Grade and seriousness
  are separate: a grade 4 event need not be serious and a grade 1 event can be.
* ``report_deadline``: SAE to sponsor within the protocol's hours of awareness (24 h [P]);
  SUSARs per NMPA/CDE 2018 in calendar days, day 0 = first knowledge.
* ``in_dlt_window`` and ``runin_decision``: the safety run-in stop rule (DOMAIN.md section 2).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from studyapp.clinical.ctcae_tables import TABLES, Cut, GradeTable
from studyapp.clinical.units import Number, convert, si_unit
from studyapp.protocol.model import RunInRule, SafetyRule

#: Report kinds understood by ``report_deadline``.
REPORT_KINDS = ("SAE", "SUSAR_FATAL", "SUSAR_FATAL_FOLLOWUP", "SUSAR")

#: Outcomes of ``runin_decision``.
RUNIN_DECISIONS = ("pending", "open", "expand", "halt")


def _to_si(testcd: str, value: Number, unit: str, name: str) -> Decimal:
    try:
        return convert(value, unit, si_unit(testcd), testcd)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _ref_to_si(testcd: str, value: Number | None, unit: str, name: str) -> Decimal | None:
    return None if value is None else _to_si(testcd, value, unit, name)


def _basis(cut: Cut, refs: dict[str, Decimal | None], testcd: str) -> Decimal | None:
    """The reference a cut multiplies (1, LLN, ULN or baseline); None skips a baseline row."""
    if cut.basis == "ABS":
        return Decimal(1)
    ref = refs[cut.basis]
    if ref is None and cut.basis != "BL":
        raise ValueError(
            f"{testcd}: grade {cut.grade} is defined relative to {cut.basis}; "
            f"give the laboratory's {cut.basis.lower()}"
        )
    return ref


def _matches(value: Decimal, cut: Cut, ref: Decimal) -> bool:
    bound = cut.bound * ref
    if cut.op == "<":
        return value < bound
    if cut.op == ">":
        return value > bound
    return value >= bound


def lab_grade(
    testcd: str,
    value: Number,
    unit: str,
    lln: Number | None,
    uln: Number | None,
    baseline: Number | None = None,
) -> int | None:
    """CTCAE v5.0 grade (1-4) of *value*, or None when the value is not an adverse grade.

    *value*, *lln*, *uln* and *baseline* are in *unit* (any unit ``units`` accepts for the test)
    and converted to the SI unit first. For ALT, AST and BILI a *baseline* above ULN selects the
    "baseline abnormal" criteria (multiples of baseline); for CREAT a *baseline* adds the
    "x baseline" criteria of grades 2-3. ValueError for an ungraded test code, a bad unit or
    value, LLN > ULN, or a missing LLN/ULN that the grade depends on.
    """
    table = TABLES.get(testcd)
    if table is None:
        raise ValueError(f"no CTCAE v5.0 lab grading for {testcd!r}; graded: {', '.join(TABLES)}")
    x = _to_si(testcd, value, unit, "value")
    refs = _references(testcd, unit, lln, uln, baseline)
    for cut in _cuts_for(table, refs, testcd, baseline):
        ref = _basis(cut, refs, testcd)
        if ref is not None and _matches(x, cut, ref):
            return cut.grade
    return None


def _references(
    testcd: str, unit: str, lln: Number | None, uln: Number | None, baseline: Number | None
) -> dict[str, Decimal | None]:
    """LLN, ULN and baseline in the SI unit, by the names the cuts use; LLN <= ULN."""
    refs = {
        "LLN": _ref_to_si(testcd, lln, unit, "lln"),
        "ULN": _ref_to_si(testcd, uln, unit, "uln"),
        "BL": _ref_to_si(testcd, baseline, unit, "baseline"),
    }
    low, high = refs["LLN"], refs["ULN"]
    if low is not None and high is not None and low > high:
        raise ValueError(f"{testcd}: lln {lln} is above uln {uln}")
    return refs


def _cuts_for(
    table: GradeTable, refs: dict[str, Decimal | None], testcd: str, baseline: Number | None
) -> tuple[Cut, ...]:
    """The "baseline abnormal" criteria when the test has them and baseline is above ULN."""
    high, base = refs["ULN"], refs["BL"]
    if table.abnormal_baseline is None or base is None:
        return table.cuts
    if high is None:
        raise ValueError(f"{testcd}: uln is needed to tell whether baseline {baseline} is normal")
    return table.abnormal_baseline if base > high else table.cuts


def is_serious(
    *,
    aesdth: bool,
    aeslife: bool,
    aeshosp: bool,
    aesdisab: bool,
    aescong: bool,
    aesmie: bool,
) -> bool:
    """ICH E2A: serious when the event results in death (AESDTH), is life-threatening
    (AESLIFE), requires or prolongs hospitalisation (AESHOSP), results in persistent or
    significant disability (AESDISAB), is a congenital anomaly (AESCONG) or another important
    medical event (AESMIE). Every criterion must be answered True or False (no None)."""
    answers = {
        "aesdth": aesdth,
        "aeslife": aeslife,
        "aeshosp": aeshosp,
        "aesdisab": aesdisab,
        "aescong": aescong,
        "aesmie": aesmie,
    }
    for name, answer in answers.items():
        if not isinstance(answer, bool):
            raise ValueError(f"{name} must be True or False, got {answer!r}")
    return any(answers.values())


def report_deadline(kind: str, aware_at: datetime, rule: SafetyRule) -> datetime:
    """Latest on-time moment for a report of *kind*, from awareness *aware_at* (tz-aware).

    * ``SAE``: to the sponsor, aware_at + ``rule.sae_sponsor_hours`` (24 h [P]; ICH GCP
      "immediately");
    * ``SUSAR_FATAL``: fatal or life-threatening SUSAR, end of calendar day
      ``susar_fatal_days`` (7) after the day of awareness (day 0), in aware_at's time zone;
    * ``SUSAR_FATAL_FOLLOWUP``: its follow-up, ``susar_followup_extra_days`` (8) later (day 15);
    * ``SUSAR``: other SUSARs, end of day ``susar_other_days`` (15).
    """
    if aware_at.tzinfo is None or aware_at.utcoffset() is None:
        raise ValueError(f"aware_at must be timezone-aware, got naive {aware_at.isoformat()}")
    if kind == "SAE":  # elapsed hours, also across a daylight-saving change
        due = aware_at.astimezone(UTC) + timedelta(hours=rule.sae_sponsor_hours)
        return due.astimezone(aware_at.tzinfo)
    days = {
        "SUSAR_FATAL": rule.susar_fatal_days,
        "SUSAR_FATAL_FOLLOWUP": rule.susar_fatal_days + rule.susar_followup_extra_days,
        "SUSAR": rule.susar_other_days,
    }.get(kind)
    if days is None:
        raise ValueError(f"unknown report kind {kind!r}; allowed: {', '.join(REPORT_KINDS)}")
    last_day = aware_at.date() + timedelta(days=days)
    return datetime.combine(last_day, time.max, tzinfo=aware_at.tzinfo)


def needs_review_task(grade: int, rule: SafetyRule) -> bool:
    """True when an AE of CTCAE *grade* (1-5) reaches the protocol's task threshold."""
    if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 5:
        raise ValueError(f"CTCAE grade must be an integer 1-5, got {grade!r}")
    return grade >= rule.ae_task_min_grade


def in_dlt_window(onset_day: int, rule: RunInRule) -> bool:
    """True when study day *onset_day* is inside the DLT window (Days 1-28 [P], inclusive)."""
    if onset_day == 0:
        raise ValueError("study day 0 does not exist (CDISC)")
    return rule.dlt_window_first_day <= onset_day <= rule.dlt_window_last_day


def runin_decision(finished: int, dlts: int, rule: RunInRule) -> str:
    """Safety run-in stop rule [P]: ``pending``, ``open``, ``expand`` or ``halt``.

    *finished*: run-in subjects past the DLT window with a signed DLT review; *dlts*: run-in
    subjects with a DLT so far (finished or not). With the packaged rule: >= 2 DLTs halts at
    once; otherwise wait for 3 finished; 0/3 opens enrolment; 1/3 expands the run-in by 3
    (``expand`` until 6 have finished); 1/6 opens.
    """
    total = rule.subjects + rule.expansion_subjects
    for name, count in (("finished", finished), ("dlts", dlts)):
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= total:
            raise ValueError(f"{name} must be an integer 0-{total} (run-in size), got {count!r}")
    if dlts >= rule.halt_if_dlt_at_least:
        return "halt"
    if finished < rule.subjects:
        return "pending"
    if dlts <= rule.open_if_dlt_at_most:
        return "open"
    if finished < total:
        return "expand"
    return "open" if dlts <= rule.open_after_expansion_if_dlt_at_most else "halt"
