"""The SVG renderer of the platelet chart, with no app (reports/svg.py)."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from markupsafe import Markup

from studyapp.reports import charts
from studyapp.reports.charts import Chart, ChartText, CountPoint, Marker, Threshold
from studyapp.reports.svg import to_svg
from tests.unit.test_charts import TEXT, chart, imported

D = Decimal
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(\"x\")</script> & 'quote'"


def child(root: ET.Element, tag: str) -> ET.Element:
    found = root.find(f"{SVG}{tag}")
    assert found is not None, tag
    return found


def parse(svg: Markup) -> ET.Element:
    text = str(svg)
    assert "style=" not in text
    assert "<style" not in text
    assert "<script" not in text.lower()
    return ET.fromstring(text)  # noqa: S314 - our own output, parsed to prove it is well-formed


def sample() -> Chart:
    points = [
        CountPoint(-3, D(12)),
        CountPoint(1, D(10)),
        CountPoint(8, D(25), "NR"),
        CountPoint(15, D(45), "R"),
        CountPoint(22, D(120), "CR"),
        CountPoint(29, D(40), "NE"),
        CountPoint(36, D("45.0"), "R"),
    ]
    markers = [
        Marker(1, "dose", "Dose 1"),
        Marker(8, "dose", "Dose 2"),
        Marker(24, "rescue", "IVIG"),
    ]
    return chart(points, markers)


def test_svg_is_well_formed_and_accessible() -> None:
    root = parse(to_svg(sample()))
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 680 280"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "plt-title plt-desc"
    assert child(root, "title").text == "Platelet count"
    desc = child(root, "desc")
    assert desc.text == "7 counts from day -3 to day 36; last 45 x10^9/L on day 36"
    assert {child(root, "title").get("id"), desc.get("id")} == {"plt-title", "plt-desc"}


def test_svg_elements_carry_class_and_presentation_attributes() -> None:
    root = parse(to_svg(sample()))
    circles = [c for c in root.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None]
    assert child(circles[3], "title").text == "Day 15: 45 x10^9/L (R)"
    assert circles[3].get("class") == "point-r"
    assert circles[3].get("fill") == charts.LEVEL_COLOURS["R"]
    (polyline,) = root.iter(f"{SVG}polyline")
    assert polyline.get("fill") == "none"
    assert len(str(polyline.get("points")).split()) == 7
    thresholds = [ln for ln in root.iter(f"{SVG}line") if ln.get("class") == "threshold"]
    assert all(ln.get("stroke-dasharray") == "5 4" for ln in thresholds)
    kinds = {p.get("class") for p in root.iter(f"{SVG}polygon")}
    assert kinds == {"dose", "rescue"}
    title = next(t for t in root.iter(f"{SVG}text") if t.get("class") == "title")
    assert title.get("font-weight") == "bold"
    assert child(root, "rect").get("class") == "frame"


def test_hostile_text_is_escaped_everywhere() -> None:
    text = ChartText(HOSTILE, HOSTILE, HOSTILE, HOSTILE, legend={"dose": HOSTILE})
    markers = [Marker(1, "dose", HOSTILE), Marker(2, "rescue", HOSTILE)]
    result = chart([CountPoint(1, D(5))], markers, [Threshold(D(30), HOSTILE)], text=text)
    svg = to_svg(result)
    root = parse(svg)
    assert "&lt;script&gt;" in svg
    texts = [t.text for t in root.iter(f"{SVG}text")] + [t.text for t in root.iter(f"{SVG}title")]
    assert texts.count(HOSTILE) >= 5
    assert f"Day 2: {HOSTILE}" in texts


def test_characters_xml_forbids_are_dropped() -> None:
    text = dataclasses.replace(TEXT, title="Plate\x00lets\x1b \ud800ok")
    root = parse(to_svg(chart(text=text)))
    assert child(root, "title").text == "Platelets ok"


def test_empty_chart_svg() -> None:
    root = parse(to_svg(chart()))
    messages = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "empty"]
    assert messages == ["No counts yet"]
    assert child(root, "desc").text == "No counts yet"
    assert not list(root.iter(f"{SVG}circle"))


def test_id_prefix_keeps_two_charts_apart() -> None:
    first, second = (
        parse(to_svg(sample(), id_prefix="a1")),
        parse(to_svg(sample(), id_prefix="b-2")),
    )
    ids = {el.get("id") for root in (first, second) for el in root.iter() if el.get("id")}
    assert ids == {"a1-title", "a1-desc", "b-2-title", "b-2-desc"}


@pytest.mark.parametrize("prefix", ["", "1abc", 'x" onload="alert(1)', "a b"])
def test_bad_id_prefix_is_rejected(prefix: str) -> None:
    with pytest.raises(ValueError, match="id_prefix"):
        to_svg(sample(), id_prefix=prefix)


def test_svg_is_markup_and_numbers_are_short() -> None:
    svg = to_svg(chart([CountPoint(1, D("45.50"), "R")], width=600.5))
    assert isinstance(svg, Markup)
    assert 'viewBox="0 0 600.5 280"' in svg
    assert ".00" not in svg
    assert "E+" not in svg


def test_svg_module_imports_no_web_framework() -> None:
    assert imported("svg") == {"markupsafe", "studyapp"}
