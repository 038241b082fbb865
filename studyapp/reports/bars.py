"""Charts of counts for the operational reports: a cumulative step chart against a target and a
horizontal stacked bar chart, laid out with the primitives of ``shapes`` like ``charts`` does for
the platelet chart, so ``svg.to_svg`` (and a PDF renderer) draws them.

Pure layout: plain numbers and already translated words in, a ``Figure`` out. Not colour
alone: each series has its own marker shape and dash, every bar segment wide enough carries its
number, every mark has a tooltip, and the legend labels carry the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from studyapp.reports.charts import INK, MUTED, WHITE, text_width
from studyapp.reports.scales import fmt_number, nice_y
from studyapp.reports.shapes import Circle, Line, Polygon, Polyline, Rect, Shape, Text

GRID = "#e3e8ed"
#: Colour-blind-safe colours (after Okabe-Ito), darkened for contrast, in series order.
PALETTE = ("#00806a", "#c45200", "#a8326e", "#5b2a86", "#005a9c", "#b8c2cc", "#4a5561")
#: Dash patterns and marker shapes of the line series, in order (told apart without colour).
DASHES: tuple[tuple[float, ...], ...] = ((), (6, 3), (2, 2))
MARKERS = ("circle", "square", "triangle")
_ROW, _BAR = 24.0, 16.0  # row pitch and bar thickness of the bar chart


@dataclass(frozen=True)
class Figure:
    """A drawing: size in points, title and summary for assistive tech, shapes in paint order."""

    width: float
    height: float
    title: str
    desc: str
    shapes: tuple[Shape, ...]
    kind: str = "bar-chart"


@dataclass(frozen=True)
class Series:
    """One named row of numbers: a line of the step chart or a segment of the stacked bars."""

    key: str
    label: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class Words:
    """The words of a chart, translated by the caller; ``tip`` gets series, category, value."""

    title: str
    desc: str
    x_label: str = ""
    y_label: str = ""
    empty: str = "No data"
    tip: str = "%(series)s, %(category)s: %(value)s"


def _check(categories: tuple[str, ...], series: tuple[Series, ...]) -> None:
    for one in series:
        if len(one.values) != len(categories):
            raise ValueError(
                f"series {one.key}: {len(one.values)} values, {len(categories)} labels"
            )
        if any(v < 0 for v in one.values):
            raise ValueError(f"series {one.key}: negative count")


def _label(x: float, y: float, text: str, kind: str, anchor: str = "start") -> Text:
    return Text(x, y, text, anchor=anchor, kind=kind, fill=MUTED)


def _header(words: Words) -> list[Shape]:
    shapes: list[Shape] = [Text(8, 18, words.title, size=14, bold=True, kind="title", fill=INK)]
    if words.y_label:
        shapes.append(_label(8, 36, words.y_label, "axis-label"))
    return shapes


# --- cumulative step chart ---------------------------------------------------------------


def _marker(index: int, x: float, y: float, colour: str, tip: str | None) -> Shape:
    shape = MARKERS[index % len(MARKERS)]
    if shape == "circle":
        return Circle(x, y, 3.5, kind="mark-circle", stroke=colour, fill=colour, title=tip)
    if shape == "square":
        return Rect(
            x - 3.5, y - 3.5, 7, 7, kind="mark-square", stroke=colour, fill=WHITE, title=tip
        )
    outline = ((x - 4.5, y + 3.5), (x + 4.5, y + 3.5), (x, y - 4.5))
    return Polygon(kind="mark-triangle", points=outline, stroke=colour, fill=colour, title=tip)


@dataclass(frozen=True)
class _Box:
    left: float
    top: float
    right: float
    bottom: float
    y_max: Decimal
    count: int

    def x(self, index: int) -> float:
        if self.count == 1:
            return (self.left + self.right) / 2
        return round(self.left + 10 + index * (self.right - self.left - 20) / (self.count - 1), 2)

    def y(self, value: float | Decimal) -> float:
        share = float(Decimal(value) / self.y_max)
        return round(self.bottom - share * (self.bottom - self.top), 2)


def _step_axes(box: _Box, step: Decimal, categories: tuple[str, ...], words: Words) -> list[Shape]:
    shapes: list[Shape] = [
        Rect(
            box.left, box.top, box.right - box.left, box.bottom - box.top, kind="frame", fill=WHITE
        )
    ]
    value = Decimal(0)
    while value <= box.y_max:
        y = box.y(value)
        shapes.append(Line(box.left, y, box.right, y, kind="grid", stroke=GRID))
        shapes.append(_label(box.left - 6, y + 4, fmt_number(value), "tick-label", "end"))
        value += step
    widest = max((text_width(c) for c in categories), default=0.0) + 8
    room = (box.right - box.left) / max(len(categories), 1)
    every = max(1, int(-(-widest // room)))  # label every n-th category so labels do not touch
    for i, category in enumerate(categories):
        x = box.x(i)
        shapes.append(Line(x, box.bottom, x, box.bottom + 4, kind="tick", stroke=INK))
        if (len(categories) - 1 - i) % every == 0:  # the last period always labelled
            shapes.append(_label(x, box.bottom + 18, category, "tick-label", "middle"))
    mid = (box.left + box.right) / 2
    shapes.append(_label(mid, box.bottom + 36, words.x_label, "axis-label", "middle"))
    shapes.append(Line(box.left, box.top, box.left, box.bottom, kind="axis", stroke=INK))
    shapes.append(Line(box.left, box.bottom, box.right, box.bottom, kind="axis", stroke=INK))
    return shapes


def _steps(
    box: _Box, index: int, one: Series, categories: tuple[str, ...], tip: str
) -> list[Shape]:
    colour, dash = PALETTE[index % len(PALETTE)], DASHES[index % len(DASHES)]
    points: list[tuple[float, float]] = []
    marks: list[Shape] = []
    for i, value in enumerate(one.values):
        x, y = box.x(i), box.y(value)
        if points:
            points.append((x, points[-1][1]))  # hold the previous total until this period
        points.append((x, y))
        title = tip % {"series": one.label, "category": categories[i], "value": value}
        marks.append(_marker(index, x, y, colour, title))
    line = Polyline(
        kind=f"series-{one.key}", points=tuple(points), stroke=colour, stroke_width=2, dash=dash
    )
    return [line, *marks]


def _line_legend(box: _Box, series: tuple[Series, ...], width: float) -> tuple[list[Shape], float]:
    shapes: list[Shape] = []
    x, cy = box.left, box.bottom + 58
    for index, one in enumerate(series):
        label = f"{one.label} ({one.values[-1]})" if one.values else one.label
        item = 30 + text_width(label) + 16
        if x + item > width and x > box.left:
            x, cy = box.left, cy + 18
        colour = PALETTE[index % len(PALETTE)]
        dash = DASHES[index % len(DASHES)]
        shapes.append(
            Line(x, cy, x + 24, cy, kind="legend-line", stroke=colour, stroke_width=2, dash=dash)
        )
        shapes.append(_marker(index, x + 12, cy, colour, None))
        shapes.append(Text(x + 30, cy + 4, label, kind="legend-label", fill=INK))
        x += item
    return shapes, cy + 14


def step_chart(
    categories: tuple[str, ...],
    series: tuple[Series, ...],
    words: Words,
    *,
    target: tuple[int, str] | None = None,
    width: float = 680,
    height: float = 300,
) -> Figure:
    """Cumulative counts by period as steps, with a dashed labelled target line."""
    _check(categories, series)
    top = max([v for s in series for v in s.values] + [target[0] if target else 0])
    y_max, y_step = nice_y(Decimal(top))
    label_room = min(text_width(target[1]) + 10, width * 0.3) if target else 0.0
    box = _Box(48, 54, width - 12 - label_room, height - 80, y_max, max(len(categories), 1))
    shapes = [*_header(words), *_step_axes(box, y_step, categories, words)]
    if target is not None:
        y = box.y(target[0])
        shapes.append(Line(box.left, y, box.right, y, kind="target", stroke=INK, dash=(8, 4)))
        shapes.append(
            Text(box.right + 6, y + 4, target[1], kind="target-label", fill=INK, bold=True)
        )
    if not categories:
        mid = ((box.left + box.right) / 2, (box.top + box.bottom) / 2 + 4)
        shapes.append(_label(*mid, words.empty, "empty", "middle"))
    else:
        for index, one in enumerate(series):
            shapes += _steps(box, index, one, categories, words.tip)
    legend, bottom = _line_legend(box, series, width)
    return Figure(
        width, max(height, bottom), words.title, words.desc, (*shapes, *legend), "step-chart"
    )


# --- horizontal stacked bars -------------------------------------------------------------


def _ink_on(colour: str) -> str:
    """Dark or white text, whichever reads on *colour* ("#rrggbb")."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return INK if 0.299 * r + 0.587 * g + 0.114 * b > 150 else WHITE


def _bar_row(
    row: int,
    y: float,
    left: float,
    scale: float,
    series: tuple[Series, ...],
    category: str,
    tip: str,
) -> list[Shape]:
    shapes: list[Shape] = [_label(left - 6, y + _BAR / 2 + 4, category, "category-label", "end")]
    x = left
    for index, one in enumerate(series):
        value = one.values[row]
        if not value:
            continue
        colour = PALETTE[index % len(PALETTE)]
        wide = value * scale
        title = tip % {"series": one.label, "category": category, "value": value}
        shapes.append(
            Rect(
                x, y, wide, _BAR, kind=f"segment-{one.key}", fill=colour, stroke=WHITE, title=title
            )
        )
        if wide >= text_width(str(value), 10) + 4:
            shapes.append(
                Text(
                    x + wide / 2,
                    y + _BAR / 2 + 3.5,
                    str(value),
                    size=10,
                    anchor="middle",
                    kind="segment-value",
                    fill=_ink_on(colour),
                )
            )
        x += wide
    total = sum(one.values[row] for one in series)
    shapes.append(_label(x + 4, y + _BAR / 2 + 4, str(total), "bar-total"))
    return shapes


def _bar_legend(
    series: tuple[Series, ...], left: float, top: float, width: float
) -> tuple[list[Shape], float]:
    shapes: list[Shape] = []
    x, y = left, top
    for index, one in enumerate(series):
        label = f"{one.label} ({sum(one.values)})"
        item = 16 + text_width(label) + 16
        if x + item > width and x > left:
            x, y = left, y + 18
        colour = PALETTE[index % len(PALETTE)]
        shapes.append(
            Rect(
                x,
                y - 9,
                11,
                11,
                kind=f"legend-{one.key}",
                fill=colour,
                stroke=INK,
                stroke_width=0.5,
            )
        )
        shapes.append(Text(x + 16, y, label, kind="legend-label", fill=INK))
        x += item
    return shapes, y + 10


def stacked_bars(
    categories: tuple[str, ...], series: tuple[Series, ...], words: Words, *, width: float = 680
) -> Figure:
    """One horizontal bar per category split into the series' segments, numbers inside."""
    _check(categories, series)
    label_room = min(max((text_width(c) for c in categories), default=0.0) + 12, width * 0.35)
    left, right, top = 8 + label_room, width - 40, 54.0
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    scale = (right - left) / max([*totals, 1])  # the longest bar spans the plot
    shapes = _header(words)
    for row, category in enumerate(categories):
        shapes += _bar_row(row, top + row * _ROW, left, scale, series, category, words.tip)
    bottom = top + max(len(categories), 1) * _ROW
    if not categories or not any(totals):
        shapes.append(_label((left + right) / 2, top + 14, words.empty, "empty", "middle"))
    shapes.append(Line(left, top - 4, left, bottom, kind="axis", stroke=INK))
    shapes.append(_label((left + right) / 2, bottom + 16, words.x_label, "axis-label", "middle"))
    legend, end = _bar_legend(series, left, bottom + 40, width)
    return Figure(width, end + 8, words.title, words.desc, (*shapes, *legend), "stacked-bars")
