"""The suite's clock: a test passes at any hour, because "today" is always the site's.

The rule: a test takes "now" and "today" from the application's own clock
(``studyapp.db.utcnow()``, ``studyapp.db.site_today()``), never from ``date.today()``,
``datetime.now()`` or a UTC date; a fixed moment is set with ``studyapp.db.freeze_clock``.
The site's date is a day ahead of UTC from 16:00 UTC (Asia/Shanghai), so a test that takes
a UTC date fails every evening in Europe.

The harness (tests/conftest.py, fixture ``site_clock``) checks the rule:

- ``--clock=WHEN`` (or ``STUDYAPP_TEST_CLOCK=WHEN``) pins the clock of every thread, the
  live server's too (``studyapp.db.pin_clock``), for the whole run: an ISO time
  (``2026-03-10T16:15:00Z``) or a time of today in UTC (``16:15Z``);
- a test marked ``@pytest.mark.site_midnight`` (date-sensitive: it reads the clock without
  freezing it) runs three times: at the run's clock, frozen (``now``), a minute before the
  site's midnight (``site-23h59``) and a minute after it (``site-00h01``).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from config import TestingConfig

OPTION, ENV = "--clock", "STUDYAPP_TEST_CLOCK"
#: The clocks of a test marked ``site_midnight``: minutes from the site's last midnight
#: (None: the run's clock).
SITE_MIDNIGHT: dict[str, int | None] = {"now": None, "site-23h59": -1, "site-00h01": 1}


def site_zone() -> ZoneInfo:
    return ZoneInfo(TestingConfig.SITE_TIMEZONE)


def parse(when: str, *, today: datetime | None = None) -> datetime | None:
    """The moment of ``--clock``: ISO date and time, or a time of today (UTC); "" for none.

    A time without an offset is UTC.
    """
    when = when.strip()
    if not when:
        return None
    if "T" in when or " " in when:
        moment = datetime.fromisoformat(when)
    else:
        at = time.fromisoformat(when)
        day = (today or datetime.now(UTC)).astimezone(UTC).date()
        moment = datetime.combine(day, at.replace(tzinfo=None), at.tzinfo or UTC)
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def around_midnight(base: datetime, minutes: int) -> datetime:
    """``minutes`` from the last midnight at the site before ``base`` (an aware time)."""
    zone = site_zone()
    midnight = datetime.combine(base.astimezone(zone).date(), time(0), zone)
    return (midnight + timedelta(minutes=minutes)).astimezone(UTC)


def moment_for(variant: str | None, run_clock: datetime | None) -> datetime | None:
    """The pinned clock of one test: the run's (None: the system clock) or a variant's."""
    if variant is None:
        return run_clock
    base = run_clock or datetime.now(UTC)
    minutes = SITE_MIDNIGHT[variant]
    return base if minutes is None else around_midnight(base, minutes)
