"""The suite's clock (tests/site_clock.py): pinned for every thread, either side of midnight.

A live server answers in its own threads; a date-sensitive test must see the same clock there
as in the test, and run a minute before and a minute after the site's midnight.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from studyapp.db import freeze_clock, pin_clock, site_today, utcnow
from tests import site_clock as clocks

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 10, 16, 15, tzinfo=UTC)  # 00:15 on 11 March in Shanghai


def in_thread(fn):
    out = []
    worker = threading.Thread(target=lambda: out.append(fn()))
    worker.start()
    worker.join()
    return out[0]


def test_a_pinned_clock_reaches_every_thread_and_a_freeze_only_its_own():
    try:
        pin_clock(T0)
        assert utcnow() == in_thread(utcnow) == T0
        assert site_today() == in_thread(site_today) == date(2026, 3, 11)
        freeze_clock(T0 - timedelta(days=3))
        assert utcnow() == T0 - timedelta(days=3)  # the freeze wins in its context
        assert in_thread(utcnow) == T0  # another thread keeps the pinned clock
        freeze_clock(None)
        assert utcnow() == T0  # released: back to the pinned clock, not the system's
    finally:
        freeze_clock(None)
        pin_clock(None)
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_naive_pin_is_refused():
    with pytest.raises(ValueError, match="naive"):
        pin_clock(datetime(2026, 3, 10, 16, 15))  # noqa: DTZ001 - the case under test


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("", None),
        ("2026-03-10T16:15:00Z", T0),
        ("2026-03-11T00:15:00+08:00", T0),
        ("2026-03-10T16:15:00", T0),  # no offset: UTC
        ("16:15Z", T0),  # a time of the day the run starts, in UTC
        ("16:15", T0),
    ],
)
def test_the_clock_option_reads_a_moment_or_a_time_of_today(when, expected):
    assert clocks.parse(when, today=datetime(2026, 3, 10, 9, 0, tzinfo=UTC)) == expected


@pytest.mark.parametrize(
    ("base", "variant", "site_time"),
    [
        (T0, "site-23h59", datetime(2026, 3, 10, 23, 59, tzinfo=SHANGHAI)),
        (T0, "site-00h01", datetime(2026, 3, 11, 0, 1, tzinfo=SHANGHAI)),
        (T0 - timedelta(hours=1), "site-00h01", datetime(2026, 3, 10, 0, 1, tzinfo=SHANGHAI)),
        (T0, "now", T0),
    ],
)
def test_the_midnight_clocks_are_a_minute_either_side_of_the_sites_last_midnight(
    base, variant, site_time
):
    assert clocks.moment_for(variant, base) == site_time
    assert clocks.moment_for(None, base) == base  # an unmarked test: the run's clock


def test_either_side_of_the_sites_midnight_the_utc_date_is_the_same():
    """The pair that catches a UTC "today": the site's date changes, the UTC date does not."""
    before, after = (clocks.moment_for(v, T0) for v in ("site-23h59", "site-00h01"))
    assert before.date() == after.date() == date(2026, 3, 10)
    assert before.astimezone(SHANGHAI).date() == date(2026, 3, 10)
    assert after.astimezone(SHANGHAI).date() == date(2026, 3, 11)


@pytest.mark.site_midnight
def test_a_site_midnight_test_runs_at_each_clock_pinned_for_every_thread(request, site_clock):
    variant = request.node.callspec.params["site_clock"]
    assert utcnow() == in_thread(utcnow) == site_clock  # pinned, and frozen for the test
    local = site_clock.astimezone(SHANGHAI).time()
    expected = {"site-23h59": time(23, 59), "site-00h01": time(0, 1)}.get(variant, local)
    assert local == expected
    run_clock = clocks.parse(request.config.getoption(clocks.OPTION))
    if variant == "now":
        assert abs(site_clock - (run_clock or datetime.now(UTC))) < timedelta(minutes=5)
