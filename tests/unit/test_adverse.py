"""Adverse event rules: relatedness, report clocks, SUSARs, worst grade and DLT candidacy."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from studyapp.clinical.adverse import (
    BELOW_GRADE,
    CLOCK_STATES,
    DEATH,
    FEBRILE_NEUTROPENIA,
    GI_CONTROLLED,
    HEMATOLOGIC,
    IRR,
    IRR_RESOLVED,
    LAB_RESOLVED,
    LATE,
    LOW_PLATELETS,
    MET,
    NEUTROPENIA,
    NEUTROPENIA_DURATION,
    NON_HEMATOLOGIC,
    NOT_IN_WINDOW,
    NOT_RELATED,
    ONSET_UNCERTAIN,
    OPEN,
    OVERDUE,
    Clock,
    DltCheck,
    DltInput,
    GradedRecord,
    clock,
    dlt_check,
    episode_worst,
    expedited_kinds,
    is_related,
    worst_grades,
)
from studyapp.protocol.loader import get_protocol

PROTOCOL = get_protocol()
SAFETY = PROTOCOL.safety
DLT = PROTOCOL.dlt
WINDOW = PROTOCOL.run_in

SHANGHAI = ZoneInfo("Asia/Shanghai")  # UTC+08:00 all year, no daylight saving
ONE_SECOND = timedelta(seconds=1)

# SAE: aware late in the evening, so the 24 h clock runs over midnight.
AWARE = datetime(2026, 3, 14, 22, 30, tzinfo=SHANGHAI)
SAE_DUE = datetime(2026, 3, 15, 22, 30, tzinfo=SHANGHAI)
END_OF_DAY_7 = datetime(2026, 3, 21, 23, 59, 59, 999999, tzinfo=SHANGHAI)  # day 0 = Mar 14
END_OF_DAY_15 = datetime(2026, 3, 29, 23, 59, 59, 999999, tzinfo=SHANGHAI)


# --- relatedness ----------------------------------------------------------------------------


def test_packaged_relatedness_scale() -> None:
    assert SAFETY.relatedness == ("not_related", "unlikely", "possibly", "probably", "definite")
    assert SAFETY.related_from == "possibly"
    assert SAFETY.grade_change == "new_record"


@pytest.mark.parametrize(
    ("relatedness", "related"),
    [
        ("not_related", False),
        ("unlikely", False),
        ("possibly", True),
        ("probably", True),
        ("definite", True),
    ],
)
def test_is_related_on_every_step(relatedness: str, related: bool) -> None:
    assert is_related(relatedness, SAFETY) is related


@pytest.mark.parametrize("relatedness", ["related", "Possibly", "", "possible"])
def test_is_related_rejects_unknown_values(relatedness: str) -> None:
    with pytest.raises(ValueError, match=r"unknown relatedness .*; allowed: not_related, unl"):
        is_related(relatedness, SAFETY)


def test_is_related_follows_the_protocols_threshold() -> None:
    strict = replace(SAFETY, related_from="probably")
    assert is_related("possibly", strict) is False
    assert is_related("probably", strict) is True
    assert is_related("definite", strict) is True


# --- reporting clocks -----------------------------------------------------------------------


def test_clock_states_are_listed() -> None:
    assert CLOCK_STATES == (OPEN, OVERDUE, MET, LATE) == ("open", "overdue", "met", "late")


def test_sae_clock_runs_over_midnight() -> None:
    now = datetime(2026, 3, 15, 0, 30, tzinfo=SHANGHAI)
    assert clock("SAE", AWARE, SAFETY, now=now) == Clock("SAE", SAE_DUE, OPEN, timedelta(hours=22))


def test_sae_clock_is_open_at_the_deadline_and_overdue_one_second_later() -> None:
    at = clock("SAE", AWARE, SAFETY, now=SAE_DUE)
    assert (at.state, at.remaining) == (OPEN, timedelta(0))
    after = clock("SAE", AWARE, SAFETY, now=SAE_DUE + ONE_SECOND)
    assert (after.state, after.remaining) == (OVERDUE, -ONE_SECOND)
    assert after.deadline == SAE_DUE


def test_sae_clock_remaining_goes_from_positive_to_negative() -> None:
    before = clock("SAE", AWARE, SAFETY, now=AWARE)
    assert before.remaining == timedelta(hours=24)
    assert before.state == OPEN
    late = clock("SAE", AWARE, SAFETY, now=SAE_DUE + timedelta(hours=3))
    assert late.remaining == -timedelta(hours=3)
    assert late.state == OVERDUE


def test_sae_clock_compares_instants_across_time_zones() -> None:
    # The deadline 2026-03-15 22:30 +08:00 is 14:30 UTC.
    assert clock("SAE", AWARE, SAFETY, now=datetime(2026, 3, 15, 14, 30, tzinfo=UTC)) == Clock(
        "SAE", SAE_DUE, OPEN, timedelta(0)
    )
    overdue = clock("SAE", AWARE, SAFETY, now=datetime(2026, 3, 15, 14, 30, 1, tzinfo=UTC))
    assert (overdue.state, overdue.remaining) == (OVERDUE, -ONE_SECOND)
    # 20:00 UTC reads "earlier" than 22:30 on a wall clock but is 04:00 next day in Shanghai.
    far = clock("SAE", AWARE, SAFETY, now=datetime(2026, 3, 15, 20, 0, tzinfo=UTC))
    assert (far.state, far.remaining) == (OVERDUE, -timedelta(hours=5, minutes=30))
    # 10:00 UTC is 18:00 in Shanghai: 4.5 h left.
    early = clock("SAE", AWARE, SAFETY, now=datetime(2026, 3, 15, 10, 0, tzinfo=UTC))
    assert (early.state, early.remaining) == (OPEN, timedelta(hours=4, minutes=30))


def test_sae_clock_with_a_fixed_offset_awareness() -> None:
    from datetime import timezone

    aware = datetime(2026, 3, 14, 22, 30, tzinfo=timezone(timedelta(hours=8)))
    result = clock("SAE", aware, SAFETY, now=datetime(2026, 3, 15, 14, 30, tzinfo=UTC))
    assert result.deadline == SAE_DUE
    assert result.state == OPEN


def test_sae_submitted_at_the_deadline_is_met_one_second_later_late() -> None:
    now = SAE_DUE + timedelta(days=3)  # now does not matter once submitted
    assert clock("SAE", AWARE, SAFETY, now=now, submitted_at=SAE_DUE) == Clock(
        "SAE", SAE_DUE, MET, None
    )
    assert clock("SAE", AWARE, SAFETY, now=now, submitted_at=SAE_DUE + ONE_SECOND) == Clock(
        "SAE", SAE_DUE, LATE, None
    )
    early = clock("SAE", AWARE, SAFETY, now=AWARE, submitted_at=AWARE + timedelta(hours=2))
    assert (early.state, early.remaining) == (MET, None)


def test_submission_time_in_another_zone_is_compared_as_an_instant() -> None:
    now = SAE_DUE
    utc_deadline = datetime(2026, 3, 15, 14, 30, tzinfo=UTC)
    assert clock("SAE", AWARE, SAFETY, now=now, submitted_at=utc_deadline).state == MET
    assert clock("SAE", AWARE, SAFETY, now=now, submitted_at=utc_deadline + ONE_SECOND).state == (
        LATE
    )


@pytest.mark.parametrize(
    ("kind", "deadline"),
    [
        ("SUSAR_FATAL", END_OF_DAY_7),
        ("SUSAR_FATAL_FOLLOWUP", END_OF_DAY_15),
        ("SUSAR", END_OF_DAY_15),
    ],
)
def test_susar_clocks_end_at_the_end_of_a_calendar_day(kind: str, deadline: datetime) -> None:
    result = clock(kind, AWARE, SAFETY, now=AWARE)
    assert result.kind == kind
    assert result.deadline == deadline
    assert result.deadline.tzinfo is SHANGHAI
    assert result.state == OPEN
    assert result.remaining == deadline - AWARE


def test_susar_fatal_day_zero_is_the_awareness_day() -> None:
    # Aware one minute after midnight or one minute before: same day 0, same deadline.
    for aware in (
        datetime(2026, 3, 14, 0, 1, tzinfo=SHANGHAI),
        datetime(2026, 3, 14, 23, 59, tzinfo=SHANGHAI),
    ):
        result = clock("SUSAR_FATAL", aware, SAFETY, now=aware)
        assert result.deadline == END_OF_DAY_7
        assert (result.deadline.date() - aware.date()).days == 7


def test_susar_fatal_day_zero_is_taken_in_the_awareness_zone() -> None:
    # 2026-03-14 20:00 UTC is already 2026-03-15 04:00 in Shanghai: the day depends on the zone.
    in_utc = clock("SUSAR_FATAL", datetime(2026, 3, 14, 20, 0, tzinfo=UTC), SAFETY, now=AWARE)
    assert in_utc.deadline == datetime(2026, 3, 21, 23, 59, 59, 999999, tzinfo=UTC)
    in_shanghai = datetime(2026, 3, 14, 20, 0, tzinfo=UTC).astimezone(SHANGHAI)
    shifted = clock("SUSAR_FATAL", in_shanghai, SAFETY, now=AWARE)
    assert shifted.deadline == datetime(2026, 3, 22, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def test_susar_fatal_state_around_the_end_of_day_seven() -> None:
    last = datetime(2026, 3, 21, 23, 59, 59, tzinfo=SHANGHAI)
    midnight = datetime(2026, 3, 22, 0, 0, tzinfo=SHANGHAI)
    assert clock("SUSAR_FATAL", AWARE, SAFETY, now=last).state == OPEN
    assert clock("SUSAR_FATAL", AWARE, SAFETY, now=midnight).state == OVERDUE
    assert clock("SUSAR_FATAL", AWARE, SAFETY, now=END_OF_DAY_7).remaining == timedelta(0)
    assert clock("SUSAR_FATAL", AWARE, SAFETY, now=midnight).remaining == -timedelta(microseconds=1)
    assert clock("SUSAR_FATAL", AWARE, SAFETY, now=midnight, submitted_at=last).state == MET
    assert clock("SUSAR_FATAL", AWARE, SAFETY, now=midnight, submitted_at=midnight).state == LATE
    # 16:00 UTC on 21 March is midnight in Shanghai: late.
    utc_midnight = datetime(2026, 3, 21, 16, 0, tzinfo=UTC)
    assert clock("SUSAR_FATAL", AWARE, SAFETY, now=midnight, submitted_at=utc_midnight).state == (
        LATE
    )


class _NoOffset(tzinfo):
    """A tzinfo that does not know its offset: aware in form, naive in effect."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


def test_clock_rejects_naive_now() -> None:
    with pytest.raises(ValueError, match="now must be timezone-aware, got naive 2026-03-15T"):
        clock("SAE", AWARE, SAFETY, now=datetime(2026, 3, 15, 10, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        clock("SAE", AWARE, SAFETY, now=datetime(2026, 3, 15, 10, 0, tzinfo=_NoOffset()))


def test_clock_rejects_naive_submitted_at() -> None:
    with pytest.raises(ValueError, match="submitted_at must be timezone-aware"):
        clock(
            "SAE",
            AWARE,
            SAFETY,
            now=SAE_DUE,
            submitted_at=datetime(2026, 3, 15, 10, 0),  # noqa: DTZ001
        )
    with pytest.raises(ValueError, match="submitted_at must be timezone-aware"):
        clock(
            "SAE",
            AWARE,
            SAFETY,
            now=SAE_DUE,
            submitted_at=datetime(2026, 3, 15, 10, 0, tzinfo=_NoOffset()),
        )


def test_clock_rejects_naive_awareness_and_unknown_kind() -> None:
    with pytest.raises(ValueError, match="aware_at must be timezone-aware"):
        clock("SAE", datetime(2026, 3, 14, 22, 30), SAFETY, now=SAE_DUE)  # noqa: DTZ001
    with pytest.raises(ValueError, match=r"unknown report kind 'SUSARS'; allowed: SAE, SUSAR_F"):
        clock("SUSARS", AWARE, SAFETY, now=SAE_DUE)


# --- SUSAR expedited reports ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("serious", "related", "expected", "fatal", "kinds"),
    [
        # not a SUSAR, whatever the outcome
        (False, True, False, False, ()),
        (False, True, False, True, ()),
        (True, False, False, False, ()),
        (True, False, False, True, ()),
        (True, True, True, False, ()),
        (True, True, True, True, ()),
        (False, False, True, True, ()),
        (False, False, False, False, ()),
        # SUSAR
        (True, True, False, True, ("SUSAR_FATAL", "SUSAR_FATAL_FOLLOWUP")),
        (True, True, False, False, ("SUSAR",)),
    ],
)
def test_expedited_kinds(
    serious: bool, related: bool, expected: bool, fatal: bool, kinds: tuple[str, ...]
) -> None:
    assert (
        expedited_kinds(
            serious=serious, related=related, expected=expected, fatal_or_life_threatening=fatal
        )
        == kinds
    )


def test_expedited_kinds_are_report_kinds_with_clocks() -> None:
    kinds = expedited_kinds(
        serious=True, related=True, expected=False, fatal_or_life_threatening=True
    )
    clocks = [clock(kind, AWARE, SAFETY, now=AWARE) for kind in kinds]
    assert [c.deadline for c in clocks] == [END_OF_DAY_7, END_OF_DAY_15]


# --- worst grade ----------------------------------------------------------------------------


def test_worst_grade_is_the_highest_not_the_latest() -> None:
    records = [
        GradedRecord("S01-001", "Headache", 2, episode=1),
        GradedRecord("S01-001", "Headache", 3, episode=1),
        GradedRecord("S01-001", "Headache", 1, episode=1),
    ]
    assert worst_grades(records) == {("S01-001", "Headache"): 3}
    assert episode_worst(records) == {1: 3}


def test_worst_grades_keep_subjects_and_terms_apart() -> None:
    records = [
        GradedRecord("S01-001", "Headache", 2, 1),
        GradedRecord("S01-002", "Headache", 4, 2),
        GradedRecord("S01-001", "Nausea", 1, 3),
        GradedRecord("S01-002", "Headache", 1, 4),
    ]
    assert worst_grades(records) == {
        ("S01-001", "Headache"): 2,
        ("S01-002", "Headache"): 4,
        ("S01-001", "Nausea"): 1,
    }


def test_worst_grades_match_terms_ignoring_case_and_spaces() -> None:
    records = [
        GradedRecord("S01-001", "  Febrile Neutropenia ", 3, 1),
        GradedRecord("S01-001", "febrile neutropenia", 4, 2),
        GradedRecord("S01-001", "FEBRILE NEUTROPENIA", 3, 3),
    ]
    assert worst_grades(records) == {("S01-001", "Febrile Neutropenia"): 4}


def test_worst_grades_over_several_episodes_and_an_iterator() -> None:
    records = (
        GradedRecord("S01-003", "Rash", grade, episode)
        for grade, episode in [(1, 10), (2, 10), (5, 11), (1, 11)]
    )
    assert worst_grades(records) == {("S01-003", "Rash"): 5}
    assert worst_grades([]) == {}


@pytest.mark.parametrize("grade", [0, 6, True, -1])
def test_worst_grades_reject_grades_outside_ctcae(grade: int) -> None:
    records = [GradedRecord("S01-001", "Headache", 2, 1), GradedRecord("S01-001", "x", grade, 1)]
    with pytest.raises(ValueError, match=r"CTCAE grade must be 1-5, got"):
        worst_grades(records)


def test_episode_worst_per_episode() -> None:
    records = [
        GradedRecord("S01-001", "Headache", 1, 7),
        GradedRecord("S01-001", "Headache", 3, 7),
        GradedRecord("S01-001", "Headache", 2, 7),
        GradedRecord("S01-001", "Headache", 2, 9),  # same term, a later separate episode
        GradedRecord("S01-002", "Nausea", 1, 12),
    ]
    assert episode_worst(records) == {7: 3, 9: 2, 12: 1}
    assert episode_worst([]) == {}


# --- dose-limiting toxicity -----------------------------------------------------------------

GI = "Gastrointestinal disorders"
INVESTIGATIONS = "Investigations"
BLOOD = "Blood and lymphatic system disorders"
GENERAL = "General disorders and administration site conditions"
IMMUNE = "Immune system disorders"
SKIN = "Skin and subcutaneous tissue disorders"


def ae(
    grade: int,
    term: str = "Nausea",
    soc: str = GI,
    *,
    day: int = 10,
    last_day: int | None = None,
    related: bool = True,
) -> DltInput:
    return DltInput(day, day if last_day is None else last_day, grade, related, term, soc)


def test_packaged_dlt_terms() -> None:
    assert WINDOW.dlt_window_first_day == 1
    assert WINDOW.dlt_window_last_day == 28
    assert DLT.hematologic_socs == (BLOOD,)
    assert "Platelet count decreased" in DLT.hematologic_terms
    assert DLT.irr_terms[:2] == ("Infusion related reaction", "Anaphylaxis")
    assert (DLT.gi_socs, DLT.lab_socs) == ((GI,), (INVESTIGATIONS,))
    assert DLT.neutropenia_term == "Neutrophil count decreased"
    assert DLT.febrile_neutropenia_term == "Febrile neutropenia"
    assert DLT.platelet_term == "Platelet count decreased"
    assert (DLT.death, DLT.febrile_neutropenia, DLT.low_platelets_alone) == (True, True, False)


@pytest.mark.parametrize(
    ("day", "result"),
    [
        (-5, DltCheck(False, NOT_IN_WINDOW)),
        (-1, DltCheck(False, NOT_IN_WINDOW)),  # before Day 1 (there is no day 0)
        (1, DltCheck(True, NON_HEMATOLOGIC)),
        (28, DltCheck(True, NON_HEMATOLOGIC)),
        (29, DltCheck(False, NOT_IN_WINDOW)),
        (100, DltCheck(False, NOT_IN_WINDOW)),
    ],
)
def test_dlt_window_boundaries(day: int, result: DltCheck) -> None:
    assert dlt_check(ae(4, day=day), DLT, WINDOW) == result


@pytest.mark.parametrize(
    ("first", "last", "result"),
    [
        (20, 40, DltCheck(True, NON_HEMATOLOGIC, (ONSET_UNCERTAIN,))),  # spans day 28/29
        (28, 29, DltCheck(True, NON_HEMATOLOGIC, (ONSET_UNCERTAIN,))),
        (1, 28, DltCheck(True, NON_HEMATOLOGIC)),  # every possible day is inside
        (29, 59, DltCheck(False, NOT_IN_WINDOW)),  # every possible day is after
        (-30, -1, DltCheck(False, NOT_IN_WINDOW)),  # every possible day is before Day 1
        (-3, 2, DltCheck(True, NON_HEMATOLOGIC, (ONSET_UNCERTAIN,))),  # day 0 skipped
        (-1, 1, DltCheck(True, NON_HEMATOLOGIC, (ONSET_UNCERTAIN,))),
        (0, 1, DltCheck(True, NON_HEMATOLOGIC)),  # day 0 does not exist: surely day 1
        (0, 0, DltCheck(False, NOT_IN_WINDOW)),  # no possible study day at all
    ],
)
def test_dlt_partial_onset(first: int, last: int, result: DltCheck) -> None:
    assert dlt_check(ae(4, day=first, last_day=last), DLT, WINDOW) == result


def test_partial_onset_uncertainty_follows_the_other_exceptions() -> None:
    event = ae(3, "Alanine aminotransferase increased", INVESTIGATIONS, day=25, last_day=31)
    assert dlt_check(event, DLT, WINDOW) == DltCheck(
        True, NON_HEMATOLOGIC, (LAB_RESOLVED, ONSET_UNCERTAIN)
    )


def test_dlt_window_comes_before_relatedness() -> None:
    assert dlt_check(ae(5, day=40, related=False), DLT, WINDOW) == DltCheck(False, NOT_IN_WINDOW)


@pytest.mark.parametrize("grade", [1, 3, 4, 5])
def test_dlt_not_related(grade: int) -> None:
    assert dlt_check(ae(grade, related=False), DLT, WINDOW) == DltCheck(False, NOT_RELATED)


def test_dlt_death() -> None:
    assert dlt_check(ae(5, "Sudden death NOS", GENERAL), DLT, WINDOW) == DltCheck(True, DEATH)
    # Death is a DLT whatever the term, even a low platelet count or a blood disorder.
    platelets = ae(5, "Platelet count decreased", INVESTIGATIONS)
    assert dlt_check(platelets, DLT, WINDOW) == DltCheck(True, DEATH)
    assert dlt_check(ae(5, "Anemia", BLOOD), DLT, WINDOW) == DltCheck(True, DEATH)
    uncertain = ae(5, "Sudden death NOS", GENERAL, day=27, last_day=30)
    assert dlt_check(uncertain, DLT, WINDOW) == DltCheck(True, DEATH, (ONSET_UNCERTAIN,))


@pytest.mark.parametrize("grade", [1, 3, 4])
def test_dlt_low_platelets_alone_never(grade: int) -> None:
    event = ae(grade, "Platelet count decreased", INVESTIGATIONS)
    assert dlt_check(event, DLT, WINDOW) == DltCheck(False, LOW_PLATELETS)


@pytest.mark.parametrize(
    ("grade", "term", "soc", "result"),
    [
        (4, "Infusion related reaction", GENERAL, DltCheck(True, IRR)),
        (3, "Infusion related reaction", GENERAL, DltCheck(True, IRR, (IRR_RESOLVED,))),
        (2, "Infusion related reaction", GENERAL, DltCheck(False, BELOW_GRADE)),
        (1, "Infusion related reaction", GENERAL, DltCheck(False, BELOW_GRADE)),
        (4, "Anaphylaxis", IMMUNE, DltCheck(True, IRR)),
        (3, "Anaphylaxis", IMMUNE, DltCheck(True, IRR, (IRR_RESOLVED,))),
        (3, "Cytokine release syndrome", IMMUNE, DltCheck(True, IRR, (IRR_RESOLVED,))),
        (2, "Allergic reaction", IMMUNE, DltCheck(False, BELOW_GRADE)),
        (5, "Anaphylaxis", IMMUNE, DltCheck(True, DEATH)),
    ],
)
def test_dlt_infusion_reactions(grade: int, term: str, soc: str, result: DltCheck) -> None:
    assert dlt_check(ae(grade, term, soc), DLT, WINDOW) == result


@pytest.mark.parametrize("grade", [3, 4])
def test_dlt_febrile_neutropenia(grade: int) -> None:
    event = ae(grade, "Febrile neutropenia", BLOOD)
    assert dlt_check(event, DLT, WINDOW) == DltCheck(True, FEBRILE_NEUTROPENIA)


def test_dlt_neutropenia() -> None:
    grade4 = ae(4, "Neutrophil count decreased", INVESTIGATIONS)
    assert dlt_check(grade4, DLT, WINDOW) == DltCheck(True, NEUTROPENIA, (NEUTROPENIA_DURATION,))
    grade3 = ae(3, "Neutrophil count decreased", INVESTIGATIONS)
    assert dlt_check(grade3, DLT, WINDOW) == DltCheck(False, HEMATOLOGIC)
    uncertain = ae(4, "Neutrophil count decreased", INVESTIGATIONS, day=-2, last_day=3)
    assert dlt_check(uncertain, DLT, WINDOW) == DltCheck(
        True, NEUTROPENIA, (NEUTROPENIA_DURATION, ONSET_UNCERTAIN)
    )


@pytest.mark.parametrize(
    ("grade", "term", "soc"),
    [
        (3, "Anemia", BLOOD),  # haematological by SOC and term
        (4, "Anemia", BLOOD),
        (4, "Hemolysis", BLOOD),  # haematological by SOC only
        (4, "White blood cell decreased", INVESTIGATIONS),  # by term only
        (4, "Lymphocyte count decreased", INVESTIGATIONS),
        (1, "Anemia", BLOOD),
    ],
)
def test_dlt_other_hematologic_toxicity_is_not_a_candidate(grade: int, term: str, soc: str) -> None:
    assert dlt_check(ae(grade, term, soc), DLT, WINDOW) == DltCheck(False, HEMATOLOGIC)


@pytest.mark.parametrize(
    ("grade", "term", "soc", "result"),
    [
        (3, "Nausea", GI, DltCheck(True, NON_HEMATOLOGIC, (GI_CONTROLLED,))),
        (3, "Diarrhea", GI, DltCheck(True, NON_HEMATOLOGIC, (GI_CONTROLLED,))),
        (4, "Diarrhea", GI, DltCheck(True, NON_HEMATOLOGIC)),
        (
            3,
            "Alanine aminotransferase increased",
            INVESTIGATIONS,
            DltCheck(True, NON_HEMATOLOGIC, (LAB_RESOLVED,)),
        ),
        (4, "Alanine aminotransferase increased", INVESTIGATIONS, DltCheck(True, NON_HEMATOLOGIC)),
        (3, "Rash maculo-papular", SKIN, DltCheck(True, NON_HEMATOLOGIC)),
        (4, "Rash maculo-papular", SKIN, DltCheck(True, NON_HEMATOLOGIC)),
        (2, "Nausea", GI, DltCheck(False, BELOW_GRADE)),
        (2, "Alanine aminotransferase increased", INVESTIGATIONS, DltCheck(False, BELOW_GRADE)),
        (1, "Rash maculo-papular", SKIN, DltCheck(False, BELOW_GRADE)),
    ],
)
def test_dlt_non_hematologic(grade: int, term: str, soc: str, result: DltCheck) -> None:
    assert dlt_check(ae(grade, term, soc), DLT, WINDOW) == result


def test_dlt_rejects_reversed_onset_range() -> None:
    with pytest.raises(ValueError, match="last_day must not be before first_day"):
        dlt_check(ae(3, day=10, last_day=9), DLT, WINDOW)


@pytest.mark.parametrize("grade", [0, 6, -1])
def test_dlt_rejects_grades_outside_ctcae(grade: int) -> None:
    with pytest.raises(ValueError, match=rf"CTCAE grade must be 1-5, got {grade}"):
        dlt_check(ae(grade), DLT, WINDOW)


def test_dlt_rule_without_death() -> None:
    rule = replace(DLT, death=False)
    assert dlt_check(ae(5, "Sudden death NOS", GENERAL), rule, WINDOW) == DltCheck(
        True, NON_HEMATOLOGIC
    )
    assert dlt_check(ae(5, "Anemia", BLOOD), rule, WINDOW) == DltCheck(False, HEMATOLOGIC)


def test_dlt_rule_without_febrile_neutropenia() -> None:
    rule = replace(DLT, febrile_neutropenia=False)
    event = ae(3, "Febrile neutropenia", BLOOD)
    assert dlt_check(event, rule, WINDOW) == DltCheck(False, HEMATOLOGIC)


def test_dlt_rule_where_low_platelets_alone_count() -> None:
    rule = replace(DLT, low_platelets_alone=True)
    event = ae(4, "Platelet count decreased", INVESTIGATIONS)
    assert dlt_check(event, rule, WINDOW) == DltCheck(False, HEMATOLOGIC)


def test_dlt_rule_with_another_window_and_grade() -> None:
    window = replace(WINDOW, dlt_window_first_day=8, dlt_window_last_day=21)
    assert dlt_check(ae(4, day=7), DLT, window) == DltCheck(False, NOT_IN_WINDOW)
    assert dlt_check(ae(4, day=8), DLT, window) == DltCheck(True, NON_HEMATOLOGIC)
    assert dlt_check(ae(4, day=22), DLT, window) == DltCheck(False, NOT_IN_WINDOW)
    rule = replace(DLT, nonhematologic_min_grade=2)
    assert dlt_check(ae(2), rule, WINDOW) == DltCheck(True, NON_HEMATOLOGIC)
    assert dlt_check(ae(1), rule, WINDOW) == DltCheck(False, BELOW_GRADE)
    irr = ae(2, "Infusion related reaction", GENERAL)
    assert dlt_check(irr, rule, WINDOW) == DltCheck(True, IRR, (IRR_RESOLVED,))


@pytest.mark.parametrize(
    ("grade", "term", "result"),
    [
        (4, "platelet count decreased", DltCheck(False, LOW_PLATELETS)),
        (4, "Platelet Count Decreased", DltCheck(False, LOW_PLATELETS)),
        (3, "Neutrophil count decreased ", DltCheck(False, HEMATOLOGIC)),
        (3, "infusion related reaction", DltCheck(True, IRR, (IRR_RESOLVED,))),
    ],
)
def test_dlt_term_spelling(grade: int, term: str, result: DltCheck) -> None:
    assert dlt_check(ae(grade, term, INVESTIGATIONS), DLT, WINDOW) == result


# --- protocol invariants of the new safety keys ---------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"related_from": "maybe"}, r"safety.related_from must be one of safety.relatedness"),
        (
            {"relatedness": ("not_related", "unlikely", "unlikely", "possibly")},
            r"duplicate safety.relatedness entry 'unlikely'",
        ),
        ({"relatedness": ("possibly",)}, r"safety.relatedness needs at least two steps"),
        ({"relatedness": ()}, r"safety.relatedness needs at least two steps"),
        ({"grade_change": "edit"}, r'safety.grade_change must be "new_record"'),
        ({"grade_change": "New_Record"}, r'safety.grade_change must be "new_record"'),
    ],
)
def test_safety_rule_invariants(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(SAFETY, **changes)  # type: ignore[arg-type]


def test_safety_rule_with_a_shorter_scale() -> None:
    rule = replace(SAFETY, relatedness=("unrelated", "related"), related_from="related")
    assert is_related("unrelated", rule) is False
    assert is_related("related", rule) is True
    with pytest.raises(ValueError, match="allowed: unrelated, related"):
        is_related("possibly", rule)


def test_dlt_check_refuses_a_boolean_grade() -> None:
    with pytest.raises(ValueError, match="1-5"):
        dlt_check(replace(ae(3), grade=True), DLT, WINDOW)


def test_episode_worst_refuses_grades_outside_ctcae() -> None:
    for grade in (0, 6, True):
        with pytest.raises(ValueError, match="1-5"):
            episode_worst([GradedRecord("ITP-001", "Nausea", grade, 1)])


def test_relatedness_against_another_threshold() -> None:
    rule = PROTOCOL.safety
    assert is_related("probably", rule, at_least="probably")
    assert not is_related("possibly", rule, at_least="probably")
    with pytest.raises(ValueError, match="unknown relatedness"):
        is_related("possibly", rule, at_least="surely")


def test_sae_clock_counts_elapsed_hours_across_daylight_saving() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    aware = datetime(2026, 3, 28, 22, 30, tzinfo=berlin)  # clocks go forward at 02:00 on 29th
    due = clock("SAE", aware, PROTOCOL.safety, now=aware).deadline
    assert due.astimezone(UTC) - aware.astimezone(UTC) == timedelta(hours=24)
    assert due.astimezone(berlin).hour == 23  # 23:30 local wall time
