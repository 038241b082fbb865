"""The platelet-count chart of a subject: geometry once, drawn as SVG now and by ReportLab later.

``platelet_chart`` turns counts, dose/rescue markers and response thresholds into a ``Chart``:
the renderer-neutral primitives of ``shapes`` (points, y down, CSS class and colours on each)
laid out on the axes of ``scales``, so any renderer draws the same picture; ``svg.to_svg`` draws
it in the page. This module holds the inputs (``CountPoint``, ``Marker``, ``Threshold``,
``ChartText``), the colours and legend, and the layout: axes, thresholds, points, markers and
legend.

Study days follow CDISC (no day 0: ``scales.axis_day``). Counts are in 10^9/L; response levels
are IWG 2009 (``clinical/response``). All words come from the caller's ``ChartText``, already
translated.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType

from studyapp.reports.scales import Scale, axis_day, day_ticks, fmt_number, nice_y
from studyapp.reports.shapes import FONT_SIZE, Circle, Line, Polygon, Polyline, Rect, Shape, Text

INK, MUTED, GRID, WHITE = "#1d2733", "#5b6673", "#e3e8ed", "#ffffff"
#: Colour-blind-safe (after Okabe-Ito), darkened for contrast on white; app.css repeats them.
LEVEL_COLOURS = MappingProxyType(
    {"CR": "#005a9c", "R": "#00806a", "NR": "#c45200", "NE": "#767676", None: INK}
)
DOSE_COLOUR, RESCUE_COLOUR = "#4a5561", "#a8326e"
LEVELS = ("CR", "R", "NR", "NE")
MARKER_KINDS = ("dose", "rescue")
#: Legend keys in display order; ``ChartText.legend`` maps them to (translated) labels.
DEFAULT_LEGEND = MappingProxyType(
    {
        "baseline": "Baseline",
        "CR": "CR",
        "R": "R",
        "NR": "NR",
        "NE": "NE (rescue window)",
        "dose": "Dose",
        "rescue": "Rescue therapy",
    }
)
_MIN_SPAN = 7  # days shown at least, so one count still has an axis around it


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountPoint:
    """A platelet count: study day, value in 10^9/L, IWG level (None: baseline/pre-dose)."""

    day: int
    value: Decimal
    level: str | None = None


@dataclass(frozen=True)
class Marker:
    """An event on the day axis: ``kind`` is ``"dose"`` or ``"rescue"``; label says what."""

    day: int
    kind: str
    label: str


@dataclass(frozen=True)
class Threshold:
    """A horizontal reference line, e.g. 30 ``"R threshold (30)"`` and 100 ``"CR (100)"``."""

    value: Decimal
    label: str


@dataclass(frozen=True)
class ChartText:
    """Every word of the chart, translated by the caller.

    The templates use %-style named placeholders (Babel ``python-format``): ``summary`` gets
    count, first, last, value; ``point_tip`` day, value, level; ``marker_tip`` day, label.
    ``legend`` maps legend keys (see ``DEFAULT_LEGEND``) to labels; missing keys keep defaults.
    """

    title: str
    x_label: str
    y_label: str
    empty: str
    summary: str = (
        "%(count)d counts from day %(first)d to day %(last)d;"
        " last %(value)s x10^9/L on day %(last)d"
    )
    point_tip: str = "Day %(day)d: %(value)s x10^9/L (%(level)s)"
    marker_tip: str = "Day %(day)d: %(label)s"
    legend: Mapping[str, str] = field(default_factory=dict)


# --- output ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """A drawing: size in points, title and summary for assistive tech, shapes in paint order."""

    width: float
    height: float
    title: str
    desc: str
    scale: Scale
    shapes: tuple[Shape, ...]
    kind: str = "platelet-chart"


# --- chart ----------------------------------------------------------------------------------


def platelet_chart(
    points: Iterable[CountPoint],
    markers: Iterable[Marker],
    thresholds: Iterable[Threshold],
    text: ChartText,
    *,
    width: float = 680,
    height: float = 280,
    min_last_day: int | None = None,
) -> Chart:
    """The platelet chart of one subject; ``min_last_day`` widens the axis (e.g. to today)."""
    counts = sorted(points, key=lambda p: p.day)
    events = sorted(markers, key=lambda m: m.day)
    lines = sorted(thresholds, key=lambda t: t.value)
    _check(counts, events)
    axis_lo, axis_hi = _day_range([p.day for p in counts] + [m.day for m in events], min_last_day)
    y_max, y_step = nice_y(max([p.value for p in counts] + [t.value for t in lines] + [Decimal(0)]))
    # threshold labels sit right of the plot; dose triangles and day labels under it
    label_room = min(max([text_width(t.label) + 8 for t in lines], default=0.0), width * 0.3)
    scale = Scale(48, 54, width - 12 - label_room, height - 74, axis_lo, axis_hi, y_max, y_step)
    labels = {**DEFAULT_LEGEND, **text.legend}
    shapes = [
        *_axes(scale, text),
        *_thresholds(scale, lines),
        *_markers(scale, events, text),
    ]
    if counts:
        shapes += _series(scale, counts, text, labels)
    else:
        mid_x, mid_y = (scale.left + scale.right) / 2, (scale.top + scale.bottom) / 2
        shapes.append(_label(mid_x, mid_y + 4, text.empty, "empty", "middle"))
    legend, bottom = _legend(scale, _legend_keys(counts, events), labels, width)
    return Chart(
        width, max(height, bottom), text.title, _summary(counts, text), scale, (*shapes, *legend)
    )


def _day_range(days: list[int], min_last_day: int | None) -> tuple[int, int]:
    lo = axis_day(min([*days, 1]))
    hi = axis_day(max([*days, min_last_day or 1, 1]))
    return lo, max(hi, lo + _MIN_SPAN)


def _check(counts: list[CountPoint], events: list[Marker]) -> None:
    for point in counts:
        if point.level is not None and point.level not in LEVELS:
            raise ValueError(f"unknown response level {point.level!r} on day {point.day}")
        if point.value < 0:
            raise ValueError(f"negative platelet count {point.value} on day {point.day}")
    for marker in events:
        if marker.kind not in MARKER_KINDS:
            raise ValueError(f"unknown marker kind {marker.kind!r} on day {marker.day}")


def _summary(counts: list[CountPoint], text: ChartText) -> str:
    if not counts:
        return text.empty
    first, last = counts[0], counts[-1]
    values = {"count": len(counts), "first": first.day, "last": last.day}
    return text.summary % {**values, "value": fmt_number(last.value)}


def _label(x: float, y: float, text: str, kind: str, anchor: str = "start") -> Text:
    return Text(x, y, text, anchor=anchor, kind=kind, fill=MUTED)


def _axes(scale: Scale, text: ChartText) -> list[Shape]:
    s = scale
    height = s.bottom - s.top
    shapes: list[Shape] = [
        Rect(s.left, s.top, s.right - s.left, height, kind="frame", fill=WHITE),
        Text(8, 18, text.title, size=14, bold=True, kind="title", fill=INK),
        _label(8, 36, text.y_label, "axis-label"),
        _label((s.left + s.right) / 2, s.bottom + 36, text.x_label, "axis-label", "middle"),
    ]
    value = Decimal(0)
    while value <= s.y_max:
        y = s.y(value)
        shapes.append(Line(s.left, y, s.right, y, kind="grid", stroke=GRID))
        shapes.append(_label(s.left - 6, y + 4, fmt_number(value), "tick-label", "end"))
        value += s.y_step
    for day in day_ticks(s.axis_lo, s.axis_hi):
        x = s.x(day)
        shapes.append(Line(x, s.bottom, x, s.bottom + 4, kind="tick", stroke=INK))
        shapes.append(_label(x, s.bottom + 22, str(day), "tick-label", "middle"))
    shapes.append(Line(s.left, s.top, s.left, s.bottom, kind="axis", stroke=INK))
    shapes.append(Line(s.left, s.bottom, s.right, s.bottom, kind="axis", stroke=INK))
    return shapes


def _thresholds(scale: Scale, lines: list[Threshold]) -> list[Shape]:
    """Dashed lines labelled past the right end; a label too close to the one below moves up."""
    shapes: list[Shape] = []
    label_y = scale.bottom + 2 * FONT_SIZE
    for threshold in lines:
        y = scale.y(threshold.value)
        label_y = min(y + 4, label_y - FONT_SIZE - 1)
        shapes.append(
            Line(scale.left, y, scale.right, y, kind="threshold", stroke=MUTED, dash=(5, 4))
        )
        shapes.append(_label(scale.right + 6, label_y, threshold.label, "threshold-label"))
    return shapes


def _point(cx: float, cy: float, level: str | None, title: str | None = None) -> Circle:
    kind = f"point-{(level or 'baseline').lower()}"
    colour = LEVEL_COLOURS[level]
    hollow = level in (None, "NE")
    return Circle(
        cx,
        cy,
        4,
        kind=kind,
        stroke=colour,
        fill=WHITE if hollow else colour,
        stroke_width=2 if hollow else 1,
        dash=(2, 1.5) if level == "NE" else (),
        title=title,
    )


def _dose(x: float, base: float, title: str | None = None) -> Polygon:
    outline = ((x - 5, base), (x + 5, base), (x, base - 9))
    return Polygon(kind="dose", points=outline, fill=DOSE_COLOUR, stroke=DOSE_COLOUR, title=title)


def _rescue(x: float, cy: float, title: str | None = None) -> Polygon:
    outline = ((x, cy - 6), (x + 5, cy), (x, cy + 6), (x - 5, cy))
    return Polygon(
        kind="rescue", points=outline, fill=RESCUE_COLOUR, stroke=RESCUE_COLOUR, title=title
    )


def _series(
    scale: Scale, counts: list[CountPoint], text: ChartText, labels: Mapping[str, str]
) -> list[Shape]:
    xy = tuple((scale.x(p.day), scale.y(p.value)) for p in counts)
    shapes: list[Shape] = [Polyline(kind="count-line", points=xy, stroke=MUTED, stroke_width=1.5)]
    for point, (x, y) in zip(counts, xy, strict=True):
        level = point.level or labels["baseline"]
        tip = text.point_tip % {"day": point.day, "value": fmt_number(point.value), "level": level}
        shapes.append(_point(x, y, point.level, tip))
    return shapes


def _markers(scale: Scale, events: list[Marker], text: ChartText) -> list[Shape]:
    """Doses as triangles under the x axis pointing at their day; rescue as diamonds above the
    plot with a dotted line down through it (low counts crowd the bottom edge)."""
    shapes: list[Shape] = []
    for marker in events:
        x = scale.x(marker.day)
        tip = text.marker_tip % {"day": marker.day, "label": marker.label}
        if marker.kind == "dose":
            shapes.append(_dose(x, scale.bottom + 10, tip))
        else:
            line = Line(x, scale.top, x, scale.bottom, kind="rescue-line", stroke=RESCUE_COLOUR)
            shapes.append(replace(line, dash=(1, 3)))
            shapes.append(_rescue(x, scale.top - 9, tip))
    return shapes


def _legend_keys(counts: list[CountPoint], events: list[Marker]) -> list[str]:
    """Legend entries for what the chart shows, in ``DEFAULT_LEGEND`` order."""
    shown = {p.level or "baseline" for p in counts} | {m.kind for m in events}
    return [key for key in DEFAULT_LEGEND if key in shown]


def _legend(
    scale: Scale, keys: list[str], labels: Mapping[str, str], width: float
) -> tuple[list[Shape], float]:
    """A row (wrapping when needed) of symbol + label under the x axis; returns its bottom."""
    shapes: list[Shape] = []
    x, cy = scale.left, scale.bottom + 54
    for key in keys:
        label = labels[key]
        item = 14 + text_width(label) + 16
        if x + item > width and x > scale.left:
            x, cy = scale.left, cy + 16
        if key == "dose":
            shapes.append(_dose(x + 5, cy + 4.5))
        elif key == "rescue":
            shapes.append(_rescue(x + 5, cy))
        else:
            shapes.append(_point(x + 5, cy, None if key == "baseline" else key))
        shapes.append(Text(x + 14, cy + 4, label, kind="legend-label", fill=INK))
        x += item
    return shapes, cy + 14


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Rough width in points: wide (CJK) characters a full em, others ~0.55 em."""
    wide = sum(unicodedata.east_asian_width(char) in "WF" for char in text)
    return round((wide + 0.55 * (len(text) - wide)) * size, 2)
