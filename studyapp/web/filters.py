"""Template filters: times in the site's zone and clock durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import (
    current_app,
)
from flask_babel import gettext as _


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time shown in the site's zone with its offset, e.g. 2026-11-25 15:48 (+08:00)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(ZoneInfo(current_app.config["SITE_TIMEZONE"]))
    offset = local.strftime("%z")
    return f"{local.strftime(fmt)} ({offset[:3]}:{offset[3:]})"


def duration(value: timedelta | None) -> str:
    """Time left on a clock, e.g. "23 h 05 min left", or "overdue by 1 d 2 h"."""
    if value is None:
        return ""
    seconds = int(abs(value.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    text = f"{days} d {hours} h" if days else f"{hours} h {minutes:02d} min"
    if value.total_seconds() < 0:
        return _("overdue by %(t)s", t=text)
    return _("%(t)s left", t=text)
