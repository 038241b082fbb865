"""The platelet-count chart of a subject: geometry once, drawn as SVG now and by ReportLab later.

``platelet_chart`` turns counts, dose/rescue markers and response thresholds into a ``Chart``:
plain frozen primitives (``Line``, ``Polyline``, ``Polygon``, ``Circle``, ``Rect``, ``Text``) in
points, y growing down as in SVG, each with a ``kind`` (the CSS class) and its colours as CSS
colour strings (``"#rrggbb"`` or ``"none"``), so any renderer draws the same picture.
``to_svg`` renders it as inline SVG with presentation attributes only (the CSP forbids inline
styles) and every text escaped.

Study days follow CDISC: there is no day 0, so day -1 and day 1 sit next to each other on the
axis (``axis_day``). Counts are in 10^9/L; response levels are IWG 2009 (``clinical/response``).
All words come from the caller's ``ChartText``, already translated.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, Decimal
from types import MappingProxyType

from markupsafe import Markup

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
#: Day-tick spacing candidates: weekly, then every 2, 4, 8, 12, 24 weeks, then yearly.
_DAY_STEPS = (7, 14, 28, 56, 84, 168, 364)
_MIN_SPAN = 7  # days shown at least, so one count still has an axis around it
_FONT = 11.0
_PAD = 8.0  # points between the plot box and the first/last day


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


# --- geometry -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Style:
    """What every primitive carries: CSS class, colours, stroke width and dash, tooltip."""

    kind: str
    stroke: str = "none"
    fill: str = "none"
    stroke_width: float = 1.0
    dash: tuple[float, ...] = ()
    title: str | None = None


@dataclass(frozen=True)
class Line(Style):
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Polyline(Style):
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Polygon(Style):
    """A closed, filled shape: dose triangles, rescue diamonds."""

    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Circle(Style):
    cx: float
    cy: float
    r: float


@dataclass(frozen=True)
class Rect(Style):
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Text(Style):
    """Text at a baseline point; ``anchor`` is start, middle or end; ``fill`` is its colour."""

    x: float
    y: float
    text: str
    size: float = _FONT
    anchor: str = "start"
    bold: bool = False


Shape = Line | Polyline | Polygon | Circle | Rect | Text


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


# --- scales ---------------------------------------------------------------------------------


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


def _day_range(days: list[int], min_last_day: int | None) -> tuple[int, int]:
    lo = axis_day(min([*days, 1]))
    hi = axis_day(max([*days, min_last_day or 1, 1]))
    return lo, max(hi, lo + _MIN_SPAN)


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
    label_y = scale.bottom + 2 * _FONT
    for threshold in lines:
        y = scale.y(threshold.value)
        label_y = min(y + 4, label_y - _FONT - 1)
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


def text_width(text: str, size: float = _FONT) -> float:
    """Rough width in points: wide (CJK) characters a full em, others ~0.55 em."""
    wide = sum(unicodedata.east_asian_width(char) in "WF" for char in text)
    return round((wide + 0.55 * (len(text) - wide)) * size, 2)


# --- SVG ------------------------------------------------------------------------------------

_ID = re.compile(r"[A-Za-z][\w-]*")
#: Characters XML 1.0 forbids (controls, lone surrogates, U+FFFE/F): dropped, never escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _n(value: float) -> str:
    """Coordinate: at most 2 decimals, no trailing zeros."""
    return f"{round(value, 2) + 0.0:.2f}".rstrip("0").rstrip(".")  # + 0.0 turns -0.0 into 0


#: SVG element and the geometry fields written as attributes of the same name.
_SVG_ELEMENTS: dict[type, tuple[str, tuple[str, ...]]] = {
    Line: ("line", ("x1", "y1", "x2", "y2")),
    Polyline: ("polyline", ()),
    Polygon: ("polygon", ()),
    Circle: ("circle", ("cx", "cy", "r")),
    Rect: ("rect", ("x", "y", "width", "height")),
    Text: ("text", ("x", "y")),
}


def _attributes(shape: Shape) -> list[tuple[str, str]]:
    """Class, geometry and presentation attributes (no ``style``: the CSP forbids it)."""
    attrs = [("class", shape.kind)]
    attrs += [(name, _n(getattr(shape, name))) for name in _SVG_ELEMENTS[type(shape)][1]]
    if isinstance(shape, Polyline | Polygon):
        attrs.append(("points", " ".join(f"{_n(x)},{_n(y)}" for x, y in shape.points)))
    if isinstance(shape, Text):
        attrs += [("font-size", _n(shape.size)), ("text-anchor", shape.anchor)]
        attrs += [("font-weight", "bold")] if shape.bold else []
    attrs.append(("fill", shape.fill))
    if shape.stroke != "none":
        attrs += [("stroke", shape.stroke), ("stroke-width", _n(shape.stroke_width))]
    if shape.dash:
        attrs.append(("stroke-dasharray", " ".join(_n(d) for d in shape.dash)))
    return attrs


def _element(shape: Shape) -> Markup:
    name = _SVG_ELEMENTS[type(shape)][0]
    tag = Markup("").join(Markup(' {}="{}"').format(k, v) for k, v in _attributes(shape))
    body = Markup("{}").format(_clean(shape.text)) if isinstance(shape, Text) else Markup("")
    if shape.title:
        body += Markup("<title>{}</title>").format(_clean(shape.title))
    if not body:
        return Markup("<{}{}/>").format(name, tag)
    return Markup("<{0}{1}>{2}</{0}>").format(name, tag, body)


def to_svg(chart: Chart, *, id_prefix: str = "plt") -> Markup:
    """Inline SVG: ``role="img"``, labelled by its <title> and <desc>; ids start *id_prefix*."""
    if not _ID.fullmatch(id_prefix):
        raise ValueError(f"id_prefix must be a letter then letters, digits, - or _: {id_prefix!r}")
    head = Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="{kind}" viewBox="0 0 {w} {h}"'
        ' width="{w}" height="{h}" role="img" aria-labelledby="{p}-title {p}-desc"'
        ' font-family="system-ui, sans-serif">'
        '<title id="{p}-title">{title}</title><desc id="{p}-desc">{desc}</desc>'
    ).format(
        kind=chart.kind,
        w=_n(chart.width),
        h=_n(chart.height),
        p=id_prefix,
        title=_clean(chart.title),
        desc=_clean(chart.desc),
    )
    return head + Markup("").join(_element(shape) for shape in chart.shapes) + Markup("</svg>")
