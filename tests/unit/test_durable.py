"""Durable response (DOMAIN.md section 4, "Here [P]"): hand-worked cases at the edges."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

import pytest

from studyapp.clinical.durable import DURABLE_STATUSES, durable_response
from studyapp.protocol.loader import get_protocol

PROTOCOL = get_protocol()
RULE = PROTOCOL.response
EOT = PROTOCOL.visit(RULE.durable_after_visit).day  # Day 57
FU_DAYS = [71, 85, 99, 113, 141, 169]  # the follow-up visits


def durable(counts, rescue=(), over=False, rule=RULE):
    return durable_response(counts, list(rescue), after_day=EOT, follow_up_over=over, rule=rule)


def test_the_protocol_values() -> None:
    assert (RULE.durable_threshold, RULE.durable_k, RULE.durable_n, EOT) == (50, 4, 6, 57)
    assert DURABLE_STATUSES == ("yes", "no", "not_yet")


@pytest.mark.parametrize(
    ("values", "status", "qualifying"),
    [
        ([50, 50, 50, 50, 10, 10], "yes", 4),  # exactly 50 qualifies, exactly 4 of 6
        ([49.9, 50, 50, 50, 10, 10], "no", 3),  # 49.9 does not
        ([100] * 6, "yes", 6),
        ([10] * 6, "no", 0),
    ],
)
def test_four_of_the_last_six(values, status, qualifying) -> None:
    result = durable(list(zip(FU_DAYS, values, strict=True)))
    assert (result.status, result.qualifying, len(result.used), result.missing) == (
        status,
        qualifying,
        6,
        0,
    )
    assert [c.day for c in result.used] == FU_DAYS


def test_only_the_last_six_count() -> None:
    days = [58, 64, *FU_DAYS]
    values = [100, 100, 100, 100, 100, 10, 10, 10]  # the first two would make 5 of 8
    result = durable(list(zip(days, values, strict=True)))
    assert (result.status, result.qualifying) == ("no", 3)
    assert [c.day for c in result.used] == FU_DAYS


def test_the_end_of_treatment_day_is_not_follow_up() -> None:
    five = list(zip(FU_DAYS[:5], [100, 100, 100, 10, 10], strict=True))
    on_eot = durable([(EOT, 100), *five])
    assert (on_eot.status, on_eot.qualifying, len(on_eot.used)) == ("not_yet", 3, 5)
    assert durable([(EOT, 100), *five], over=True).status == "no"
    day_after = durable([(EOT + 1, 100), *five])
    assert (day_after.status, day_after.qualifying, day_after.used[0].day) == ("yes", 4, 58)
    before = durable([(EOT - 1, 100), (-3, 100), *five])
    assert len(before.used) == 5


def test_missing_counts_do_not_qualify() -> None:
    four = list(zip(FU_DAYS[:4], [60] * 4, strict=True))
    assert durable(four).status == "yes"  # 4 of 6 already, whatever comes
    three = durable(four[:3])
    assert (three.status, three.qualifying, three.missing) == ("not_yet", 3, 3)
    assert durable(four[:3], over=True).status == "no"  # early termination: never come
    assert durable([]).status == "not_yet"
    assert (durable([], over=True).status, durable([], over=True).used) == ("no", ())


def test_rescue_exclusion_keeps_the_place_but_never_qualifies() -> None:
    # rescue on day 70: counts 1..28 days later (days 71-98) are excluded; day 70 and day 99
    # are not; the excluded counts still fill the last six.
    days = [70, 71, 98, 99, 113, 141]
    result = durable([(d, 100) for d in days], rescue=[70])
    assert [(c.day, c.rescue_excluded, c.qualifies) for c in result.used] == [
        (70, False, True),
        (71, True, False),
        (98, True, False),
        (99, False, True),
        (113, False, True),
        (141, False, True),
    ]
    assert (result.status, result.qualifying) == ("yes", 4)
    later = durable([(d, 100) for d in [*days[1:], 169]], rescue=[70])
    assert (later.status, later.qualifying) == ("yes", 4)
    worse = durable([(d, 100) for d in [71, 85, 98, 99, 113, 141]], rescue=[70])
    assert (worse.status, worse.qualifying) == ("no", 3)


def test_rescue_before_the_end_of_treatment_reaches_into_follow_up() -> None:
    # rescue on day 50: day 78 is its 28th day (excluded), day 79 is not
    result = durable([(78, 100), (79, 100)], rescue=[50])
    assert [c.qualifies for c in result.used] == [False, True]


def test_input_order_does_not_matter() -> None:
    counts = [(71, 60), (85, 40), (85, 55), (99, 70), (113, 20), (141, 80), (169, 90)]
    expected = durable(counts)
    shuffled = counts[:]
    random.Random(4).shuffle(shuffled)
    assert durable(shuffled) == expected
    # same-day counts ordered by value: of day 85, 40 drops out first
    assert [(c.day, c.plt) for c in expected.used][:2] == [(85, Decimal(40)), (85, Decimal(55))]
    one_more = durable([*shuffled, (170, 90)])
    assert [(c.day, c.plt) for c in one_more.used][:1] == [(85, Decimal(55))]


def test_the_parameters_come_from_the_protocol() -> None:
    rule = replace(RULE, durable_threshold=Decimal(30), durable_k=2, durable_n=3)
    result = durable([(71, 10), (85, 29), (99, 30), (113, 30)], rule=rule)  # last 3: 29, 30, 30
    assert (result.status, result.qualifying, result.needed, result.window) == ("yes", 2, 2, 3)


@pytest.mark.parametrize(
    ("counts", "rescue", "after", "message"),
    [
        ([(0, 50)], [], 57, "count day"),
        ([(71, -1)], [], 57, "count on day 71"),
        ([(71, float("nan"))], [], 57, "count on day 71"),
        ([(71, 50)], [0], 57, "rescue day"),
        ([(71, 50)], [True], 57, "rescue day"),
        ([], [], 0, "after_day"),
    ],
)
def test_bad_input(counts, rescue, after, message) -> None:
    with pytest.raises(ValueError, match=message):
        durable_response(counts, rescue, after_day=after, follow_up_over=False, rule=RULE)
