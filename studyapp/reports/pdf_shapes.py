"""The ReportLab renderer of a chart: ``to_drawing`` draws a ``charts.Chart`` as a
``reportlab.graphics`` Drawing, from the same shapes ``svg.to_svg`` draws in the page.

Shapes are in points with y growing down (as in SVG); a Drawing's y grows up, so every y is
flipped against the chart's height. Colours are CSS strings (``"#rrggbb"`` or ``"none"``);
text is set in the embedded font (``fonts.register``), characters it cannot carry dropped.
A chart wider than the room it is given is scaled down as a whole.
"""

from __future__ import annotations

import re
from typing import Any

from reportlab.graphics import shapes as rl
from reportlab.lib import colors

from studyapp.reports.charts import Chart
from studyapp.reports.fonts import register
from studyapp.reports.shapes import Circle, Line, Polygon, Polyline, Rect, Shape, Text

#: Characters XML forbids and those outside the BMP: dropped (as the PDF text is).
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff\U00010000-\U0010ffff]"
)


def colour(css: str) -> Any:
    """A CSS colour as ReportLab's; ``"none"`` (or empty) is None: nothing painted."""
    if not css or css == "none":
        return None
    return colors.HexColor(css)


def _paint(shape: Shape, node: Any, *, filled: bool = True) -> Any:
    """Stroke, fill, width and dash of *shape* onto the ReportLab *node*."""
    node.strokeColor = colour(shape.stroke)
    node.strokeWidth = shape.stroke_width if shape.stroke != "none" else 0
    if filled:
        node.fillColor = colour(shape.fill)
    if shape.dash:
        node.strokeDashArray = list(shape.dash)
    return node


def _flat(points: tuple[tuple[float, float], ...], height: float) -> list[float]:
    return [v for x, y in points for v in (x, height - y)]


def _text(shape: Text, height: float) -> Any:
    node = rl.String(
        shape.x,
        height - shape.y,
        _UNPRINTABLE.sub("", shape.text),
        fontName=register(),
        fontSize=shape.size,
        textAnchor=shape.anchor,
    )
    node.fillColor = colour(shape.fill) or colors.black
    return node


def node_of(shape: Shape, height: float) -> Any:
    """The ReportLab node drawing one shape of a chart *height* points tall."""
    if isinstance(shape, Line):
        node = rl.Line(shape.x1, height - shape.y1, shape.x2, height - shape.y2)
        return _paint(shape, node, filled=False)
    if isinstance(shape, Polyline):
        return _paint(shape, rl.PolyLine(_flat(shape.points, height)), filled=False)
    if isinstance(shape, Polygon):
        return _paint(shape, rl.Polygon(_flat(shape.points, height)))
    if isinstance(shape, Circle):
        return _paint(shape, rl.Circle(shape.cx, height - shape.cy, shape.r))
    if isinstance(shape, Rect):
        y = height - shape.y - shape.height
        return _paint(shape, rl.Rect(shape.x, y, shape.width, shape.height))
    if isinstance(shape, Text):
        return _text(shape, height)
    raise TypeError(f"no PDF drawing for {type(shape).__name__}")


def to_drawing(chart: Chart, max_width: float | None = None) -> rl.Drawing:
    """The chart as a Drawing, scaled down to *max_width* points when it is wider."""
    scale = 1.0
    if max_width is not None and chart.width > max_width:
        scale = max_width / chart.width
    group = rl.Group(*(node_of(shape, chart.height) for shape in chart.shapes))
    group.scale(scale, scale)
    drawing = rl.Drawing(chart.width * scale, chart.height * scale)
    drawing.initialFontName = register()  # else the renderer starts in Helvetica
    drawing.add(group)
    return drawing
