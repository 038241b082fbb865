"""The axes of the platelet chart: where a study day and a count sit on the plot.

Study days follow CDISC: there is no day 0, so day -1 and day 1 sit next to each other on the
axis (``axis_day``, ``study_day``). ``day_ticks`` and ``nice_y`` choose the ticks of the day and
count axes, ``Scale`` maps both onto the plot box (points, y down) and ``fmt_number`` writes
the numbers of the labels. Counts are in 10^9/L.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

#: Day-tick spacing candidates: weekly, then every 2, 4, 8, 12, 24 weeks, then yearly.
_DAY_STEPS = (7, 14, 28, 56, 84, 168, 364)
_PAD = 8.0  # points between the plot box and the first/last day


@dataclass(frozen=True)
class Scale:
    """Maps study days and counts onto the plot box (points, y down).

    Days sit ``_PAD`` inside the box, so a point on the first or last day clears the y axis.
    """

    left: float
    top: float
    right: float
    bottom: float
    axis_lo: int  # axis positions (``axis_day``) at the left and right edges
    axis_hi: int
    y_max: Decimal
    y_step: Decimal

    def x(self, day: int) -> float:
        share = (axis_day(day) - self.axis_lo) / (self.axis_hi - self.axis_lo)
        return round(self.left + _PAD + share * (self.right - self.left - 2 * _PAD), 2)

    def y(self, value: Decimal) -> float:
        share = float(value / self.y_max)
        return round(self.bottom - share * (self.bottom - self.top), 2)


def axis_day(day: int) -> int:
    """Continuous axis position of a study day: day 1 -> 0, day -1 -> -1 (CDISC has no day 0)."""
    if day == 0:
        raise ValueError("study day 0 does not exist (CDISC: day -1 precedes day 1)")
    return day - 1 if day > 0 else day


def study_day(axis: int) -> int:
    """Inverse of ``axis_day``."""
    return axis + 1 if axis >= 0 else axis


def day_ticks(axis_lo: int, axis_hi: int) -> list[int]:
    """Study days to tick: day 1 and every 7 (or 14, 28, ...) days either side, ~10 ticks.

    The first day (e.g. screening at -5) gets a tick too when it is at least half a step
    before the next one.
    """
    span = axis_hi - axis_lo
    step = next((s for s in _DAY_STEPS if span <= s * 10), _DAY_STEPS[-1])
    first = -(-axis_lo // step)  # ceiling division
    ticks = [study_day(k * step) for k in range(first, axis_hi // step + 1)]
    if (first * step - axis_lo) * 2 >= step:
        ticks.insert(0, study_day(axis_lo))
    return ticks


def nice_y(top: Decimal) -> tuple[Decimal, Decimal]:
    """(maximum, step) of the count axis: maximum >= 1.1 x top (at least 10), in <= 8 steps
    of 1, 2, 2.5 or 5 x 10^n."""
    target = max(top * Decimal("1.1"), Decimal(10))
    raw = target / 8
    base = Decimal(10) ** raw.adjusted()
    step = next(base * m for m in (1, 2, Decimal("2.5"), 5, 10) if base * m >= raw)
    return (target / step).to_integral_value(rounding=ROUND_CEILING) * step, step


def fmt_number(value: Decimal | int) -> str:
    """45 -> "45", 45.50 -> "45.5", 1.5E+3 -> "1500": no exponent, no trailing zeros."""
    return format((Decimal(value) + 0).normalize(), "f")  # + 0 turns -0 into 0
