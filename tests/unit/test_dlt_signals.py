"""DLT candidacy by Hy's law and by drug-related WHO grade >= 3 bleeding (DOMAIN.md section 6)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from studyapp.clinical.adverse import (
    BLEEDING,
    CHOLESTASIS_NOT_EXCLUDED,
    DEATH,
    HYS_LAW,
    LOW_PLATELETS,
    NOT_IN_WINDOW,
    NOT_RELATED,
    ONSET_UNCERTAIN,
    DltCheck,
    DltInput,
    bleeding_dlt,
    dlt_check,
    hys_law,
    is_bleeding_term,
)
from studyapp.protocol.loader import get_protocol

PROTOCOL = get_protocol()
DLT = PROTOCOL.dlt
WINDOW = PROTOCOL.run_in
ALT, AST = DLT.hys_law_aminotransferase_tests
BILI = DLT.hys_law_bilirubin_test
ULN = {ALT: 40, AST: 35, BILI: 21}  # U/L, U/L, umol/L


def hy(alt, ast, bili, uln=ULN, rule=DLT) -> bool:
    values = {ALT: alt, AST: ast, BILI: bili}
    return hys_law({k: (v, uln.get(k)) for k, v in values.items()}, rule)


def test_a_test_missing_from_the_draw_never_meets() -> None:
    assert hys_law({ALT: (120, 40), BILI: (42, 21)}, DLT) is True
    assert hys_law({ALT: (120, 40)}, DLT) is False
    assert hys_law({BILI: (42, 21)}, DLT) is False


def test_the_protocol_values() -> None:
    assert (DLT.hys_law_aminotransferase_uln, DLT.hys_law_bilirubin_uln) == (3, 2)
    assert len(DLT.hys_law_aminotransferase_tests) == 2
    assert DLT.bleeding_min_who_grade == 3


@pytest.mark.parametrize(
    ("alt", "ast", "bili", "met"),
    [
        (120, None, 42, True),  # ALT exactly 3 x ULN, bilirubin exactly 2 x ULN
        (119, None, 42, False),  # ALT just below
        (120, None, 41.9, False),  # bilirubin just below
        (None, 105, 42, True),  # AST exactly 3 x ULN
        (None, 104.9, 42, False),
        (60, 105, 42, True),  # either enzyme suffices
        (400, 400, None, False),  # no bilirubin in the draw
        (None, None, 200, False),  # no enzyme in the draw
        (40, 35, 200, False),  # bilirubin alone
        (Decimal("120.0"), None, Decimal("42.0"), True),
    ],
)
def test_hys_law_boundaries(alt, ast, bili, met) -> None:
    assert hy(alt, ast, bili) is met


def test_hys_law_follows_the_protocol() -> None:
    assert hy(120, None, 42, rule=replace(DLT, hys_law=False)) is False
    stricter = replace(DLT, hys_law_aminotransferase_uln=Decimal(5))
    assert hy(120, None, 42, rule=stricter) is False
    assert hy(200, None, 42, rule=stricter) is True


@pytest.mark.parametrize(
    ("alt", "bili", "uln", "message"),
    [
        (120, 42, {AST: 35, BILI: 21}, "Hy's law needs"),
        (120, 42, {ALT: 40}, "Hy's law needs"),
        (120, 42, {ALT: 0, BILI: 21}, "ULN must be > 0"),
        (-1, 42, ULN, "must be >= 0"),
    ],
)
def test_hys_law_bad_input(alt, bili, uln, message) -> None:
    with pytest.raises(ValueError, match=message):
        hy(alt, None, bili, uln=uln)


@pytest.mark.parametrize(
    ("grade", "related", "dlt"),
    [(3, True, True), (4, True, True), (2, True, False), (0, True, False), (3, False, False)],
)
def test_bleeding_dlt(grade, related, dlt) -> None:
    assert bleeding_dlt(grade, related, DLT) is dlt


@pytest.mark.parametrize("grade", [5, -1, True, "3"])
def test_bleeding_dlt_rejects_grades_outside_who(grade) -> None:
    with pytest.raises(ValueError, match="WHO bleeding grade"):
        bleeding_dlt(grade, True, DLT)


def event(grade=2, term="Alanine aminotransferase increased", day=10, **kw) -> DltInput:
    soc = kw.pop("soc", "Investigations")
    return DltInput(day, kw.pop("last_day", day), grade, kw.pop("related", True), term, soc, **kw)


def test_dlt_check_by_hys_law() -> None:
    # ALT 3-5 x ULN is CTCAE grade 2: not a DLT by grade, a candidate by Hy's law
    assert dlt_check(event(), DLT, WINDOW).candidate is False
    assert dlt_check(event(hys_law=True), DLT, WINDOW) == DltCheck(
        True, HYS_LAW, (CHOLESTASIS_NOT_EXCLUDED,)
    )
    partial = event(hys_law=True, day=27, last_day=30)
    assert dlt_check(partial, DLT, WINDOW) == DltCheck(
        True, HYS_LAW, (CHOLESTASIS_NOT_EXCLUDED, ONSET_UNCERTAIN)
    )
    assert dlt_check(event(hys_law=True, day=29), DLT, WINDOW) == DltCheck(False, NOT_IN_WINDOW)
    assert dlt_check(event(hys_law=True, related=False), DLT, WINDOW) == DltCheck(
        False, NOT_RELATED
    )
    off = replace(DLT, hys_law=False)
    assert dlt_check(event(hys_law=True), off, WINDOW).reason != HYS_LAW
    assert dlt_check(event(5, hys_law=True), DLT, WINDOW).reason == DEATH


def test_dlt_check_by_bleeding() -> None:
    epistaxis = {"term": "Epistaxis", "soc": "Respiratory, thoracic and mediastinal disorders"}
    assert dlt_check(event(2, who_bleeding_grade=3, **epistaxis), DLT, WINDOW) == DltCheck(
        True, BLEEDING
    )
    assert dlt_check(event(2, who_bleeding_grade=2, **epistaxis), DLT, WINDOW).candidate is False
    assert dlt_check(event(2, who_bleeding_grade=0, **epistaxis), DLT, WINDOW).candidate is False
    # the day WHO grade 3 is first reached is the onset: Day 28 in, Day 29 out
    assert dlt_check(event(2, day=28, who_bleeding_grade=3, **epistaxis), DLT, WINDOW).candidate
    late = event(2, day=29, who_bleeding_grade=4, **epistaxis)
    assert dlt_check(late, DLT, WINDOW) == DltCheck(False, NOT_IN_WINDOW)
    unrelated = event(2, related=False, who_bleeding_grade=4, **epistaxis)
    assert dlt_check(unrelated, DLT, WINDOW) == DltCheck(False, NOT_RELATED)
    # a bleeding outranks the "low platelets alone" rule: the bleeding is the toxicity
    platelets = event(4, term="Platelet count decreased", who_bleeding_grade=3)
    assert dlt_check(platelets, DLT, WINDOW) == DltCheck(True, BLEEDING)
    assert dlt_check(event(4, term="Platelet count decreased"), DLT, WINDOW) == DltCheck(
        False, LOW_PLATELETS
    )


@pytest.mark.parametrize(
    ("term", "bleeding"),
    [
        ("Epistaxis", True),
        (" epistaxis ", True),
        ("Intracranial hemorrhage", True),
        ("Gum Hemorrhage", True),
        ("Hematuria", True),
        ("Headache", False),
        ("Platelet count decreased", False),
        ("Hemolysis", False),
    ],
)
def test_is_bleeding_term(term, bleeding) -> None:
    assert is_bleeding_term(term, DLT) is bleeding
