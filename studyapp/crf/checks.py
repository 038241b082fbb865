"""Edit checks of the CRF forms: hard limits refuse, plausibility limits ask for confirmation.

A service collects its findings in an ``EditChecks`` and calls ``finish``: errors raise
``ValidationFailed`` (messages next to the fields, nothing saved); unconfirmed warnings raise
``NeedsConfirmation`` (the form asks "are these values correct?"); confirmed warnings come back
as text the service stores on the row, so the confirmation is in the audit trail.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from studyapp.clinical import checks as rules
from studyapp.clinical import partial_dates
from studyapp.db import site_today
from studyapp.errors import NeedsConfirmation as NeedsConfirmation  # raised by finish()
from studyapp.errors import ValidationFailed
from studyapp.formatting import plain_number
from studyapp.protocol.model import RangeLimits


class EditChecks:
    """Findings of one form submission, by field name."""

    def __init__(self, *, completing: bool) -> None:
        #: True when the user saves the form as complete: required fields are then checked.
        self.completing = completing
        self.errors: dict[str, list[str]] = {}
        self.warnings: dict[str, list[str]] = {}

    def error(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def warn(self, field: str, message: str) -> None:
        self.warnings.setdefault(field, []).append(message)

    def required(self, field: str, value: Any) -> None:
        """A field the form needs before it can be complete."""
        if self.completing and (value is None or (isinstance(value, str) and not value.strip())):
            self.error(field, _("Required to complete this form."))

    def number(
        self, field: str, value: Decimal | int | None, limits: RangeLimits, unit: str, places: int
    ) -> None:
        """Hard limits refuse, plausibility limits warn, too many decimals refuse."""
        if value is None:
            return
        number = Decimal(value)
        if not number.is_finite():
            self.error(field, _("Enter a number."))
            return
        verdict = rules.check_range(number, limits)
        if verdict == rules.RANGE_IMPOSSIBLE:
            self.error(
                field,
                _(
                    "Must be between %(lo)s and %(hi)s %(u)s.",
                    lo=plain_number(limits.hard_low),
                    hi=plain_number(limits.hard_high),
                    u=unit,
                ),
            )
        elif not rules.decimals_ok(number, places):
            self.error(field, _("At most %(n)d decimal places.", n=places))
        elif verdict == rules.RANGE_IMPLAUSIBLE:
            self.warn(
                field,
                _(
                    "Unusual value: outside %(lo)s to %(hi)s %(u)s. Check it against the source.",
                    lo=plain_number(limits.plausible_low),
                    hi=plain_number(limits.plausible_high),
                    u=unit,
                ),
            )

    def finish(self, confirmed: bool) -> str | None:
        """Raise for errors or unconfirmed warnings; the confirmed warnings as stored text."""
        if self.errors:
            raise ValidationFailed(_("Check the form."), field_errors=self.errors)
        if self.warnings and not confirmed:
            raise NeedsConfirmation(
                _("Some values are unusual. Check them, then confirm that they are correct."),
                warnings=self.warnings,
            )
        if not self.warnings:
            return None
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in sorted(self.warnings.items())
        )


def partial_date(
    checks: EditChecks, field: str, text: str | None
) -> tuple[int, int | None, int | None] | None:
    """A partial ISO 8601 date (YYYY, YYYY-MM, YYYY-MM-DD or YYYY---DD) parsed, or None (absent, or
    refused with a message: not a date, or in the future of the site's calendar)."""
    if text is None:
        return None
    try:
        parsed = partial_dates.parse(text)
    except ValueError:
        checks.error(
            field,
            _(
                "%(d)s is not a date: use YYYY, YYYY-MM, YYYY-MM-DD or YYYY---DD (month "
                "unknown), e.g. 2026-03-14.",
                d=text,
            ),
        )
        return None
    if partial_dates.earliest(text) > site_today():
        checks.error(field, _("The date cannot be in the future."))
        return None
    return parsed


def common_precision(
    a: tuple[int, int | None, int | None], b: tuple[int, int | None, int | None]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Both dates cut to the precision both have: (2026, 3, 14) vs (2026, 3) -> year and month."""
    size = min(sum(part is not None for part in a), sum(part is not None for part in b))
    return tuple(p for p in a[:size] if p is not None), tuple(p for p in b[:size] if p is not None)
