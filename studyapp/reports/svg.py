"""The SVG renderer of a chart: ``to_svg`` draws a ``charts.Chart`` (or a ``bars.Figure``, any
``Drawing``) as inline SVG.

Presentation attributes only (the CSP forbids inline styles), every text escaped, characters
XML forbids dropped; the chart is labelled by its <title> and <desc> for assistive tech.
"""

from __future__ import annotations

import re
from typing import Protocol

from markupsafe import Markup

from studyapp.reports.shapes import Circle, Line, Polygon, Polyline, Rect, Shape, Text

_ID = re.compile(r"[A-Za-z][\w-]*")
#: Characters XML 1.0 forbids (controls, lone surrogates, U+FFFE/F): dropped, never escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Drawing(Protocol):
    """What a renderer needs of a chart: its size, words and shapes (``charts.Chart``,
    ``bars.Figure``)."""

    @property
    def width(self) -> float: ...
    @property
    def height(self) -> float: ...
    @property
    def title(self) -> str: ...
    @property
    def desc(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def shapes(self) -> tuple[Shape, ...]: ...


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


def to_svg(chart: Drawing, *, id_prefix: str = "plt") -> Markup:
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
