"""How a stored value is written in the casebook: numbers as entered, dates ISO 8601, times of
day HH:MM, moments in the site's time with the UTC offset, yes/no, coded values by label."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from studyapp import codelists
from studyapp.db import site_zone
from studyapp.formatting import plain_number
from studyapp.subjects import labels as coded

#: (table, column) -> code -> label, for the coded columns.
CODED: dict[tuple[str, str], Any] = {
    ("subject", "disposition"): coded.DISPOSITION,
    ("subject", "status"): coded.STATUS,
    ("prior_therapy", "category"): coded.THERAPY,
    ("prior_therapy", "best_response"): coded.RESPONSE,
    ("prior_therapy", "reason_stopped"): coded.STOP_REASON,
    ("adverse_event", "aeacn"): codelists.ACN.labels,
    ("adverse_event", "aeout"): codelists.AE_OUTCOME.labels,
    ("lab_result", "nrind"): coded.NRIND,
}


def local_time(moment: datetime | None) -> str:
    """A UTC moment in the site's time with its offset, e.g. 2026-11-25 15:48 +08:00."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(site_zone())
    offset = local.strftime("%z")
    return f"{local.strftime('%Y-%m-%d %H:%M')} {offset[:3]}:{offset[3:]}"


def show(value: Any, table: str = "", column: str = "") -> str:
    """The value as the casebook writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, datetime):
        return local_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    labels = CODED.get((table, column))
    if labels is not None and value in labels:
        text = str(labels[value])
        return text if str(value).lower() in text.lower() else f"{text} ({value})"
    return str(value)
