"""The drawing primitives of a chart, renderer-neutral: what every renderer knows how to draw.

Frozen dataclasses in points, y growing down as in SVG: ``Line``, ``Polyline``, ``Polygon``,
``Circle``, ``Rect`` and ``Text``. Each carries a ``Style``: its ``kind`` (the CSS class), its
colours as CSS colour strings (``"#rrggbb"`` or ``"none"``), stroke width and dash, and an
optional tooltip. ``charts`` builds them; ``svg`` (and the PDF reports) draw them.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Default text size in points.
FONT_SIZE = 11.0


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
    size: float = FONT_SIZE
    anchor: str = "start"
    bold: bool = False


Shape = Line | Polyline | Polygon | Circle | Rect | Text
