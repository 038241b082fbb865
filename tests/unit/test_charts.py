"""Platelet chart: scales and geometry, with no app (reports/charts.py, scales.py, shapes.py)."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest

from studyapp.reports import charts
from studyapp.reports.charts import (
    Chart,
    ChartText,
    CountPoint,
    Marker,
    Threshold,
    platelet_chart,
    text_width,
)
from studyapp.reports.scales import axis_day, day_ticks, fmt_number, nice_y, study_day
from studyapp.reports.shapes import Circle, Line, Polygon, Polyline, Style, Text

D = Decimal
S = TypeVar("S", bound=Style)
TEXT = ChartText("Platelet count", "Study day", "Platelets (x10^9/L)", "No counts yet")
THRESHOLDS = [Threshold(D(100), "CR (100)"), Threshold(D(30), "R threshold (30)")]


def chart(
    points: Sequence[CountPoint] = (),
    markers: Sequence[Marker] = (),
    thresholds: Sequence[Threshold] = THRESHOLDS,
    text: ChartText = TEXT,
    *,
    width: float = 680,
    min_last_day: int | None = None,
) -> Chart:
    return platelet_chart(points, markers, thresholds, text, width=width, min_last_day=min_last_day)


def shapes(result: Chart, kind: type[S], css: str | None = None) -> list[S]:
    return [s for s in result.shapes if isinstance(s, kind) and css in (None, s.kind)]


def marks(result: Chart, kind: type[S]) -> list[S]:
    """Data marks only: the ones with a tooltip (legend symbols have none)."""
    return [s for s in shapes(result, kind) if s.title]


# --- scales --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "axis"), [(1, 0), (2, 1), (29, 28), (-1, -1), (-5, -5), (-28, -28)]
)
def test_axis_day_has_no_day_zero(day: int, axis: int) -> None:
    assert axis_day(day) == axis
    assert study_day(axis) == day


def test_day_minus_one_and_day_one_are_adjacent() -> None:
    assert axis_day(1) - axis_day(-1) == 1


def test_day_zero_is_rejected() -> None:
    with pytest.raises(ValueError, match="day 0 does not exist"):
        axis_day(0)


@pytest.mark.parametrize(
    ("lo", "hi", "ticks"),
    [
        (1, 29, [1, 8, 15, 22, 29]),
        (1, 8, [1, 8]),
        (-5, 15, [-5, 1, 8, 15]),  # screening far enough from day 1 gets its own tick
        (-2, 15, [1, 8, 15]),  # too close to day 1: no tick
        (-14, 8, [-14, -7, 1, 8]),
        (1, 85, [1, 15, 29, 43, 57, 71, 85]),  # over 10 weeks: every 2 weeks
        (1, 365, [1, 57, 113, 169, 225, 281, 337]),  # a year: every 8 weeks
        (1, 3700, [1, *range(365, 3700, 364)]),  # beyond the table: yearly
    ],
)
def test_day_ticks(lo: int, hi: int, ticks: list[int]) -> None:
    assert day_ticks(axis_day(lo), axis_day(hi)) == ticks


@pytest.mark.parametrize(
    ("top", "maximum", "step"),
    [
        (D(0), D(10), D(2)),  # nothing to show: 0-10
        (D(45), D(50), D(10)),  # 49.5 -> 50
        (D(100), D(120), D(20)),  # the CR threshold: 110 -> 120
        (D(140), D(160), D(20)),  # 154 -> 160
        (D(1500), D(1750), D(250)),  # 1650 -> 1750
        (D("9.5"), D(12), D(2)),  # 10.45 -> 12
        (D(900), D(1000), D(200)),  # 990 -> 1000
    ],
)
def test_nice_y(top: Decimal, maximum: Decimal, step: Decimal) -> None:
    assert nice_y(top) == (maximum, step)


@pytest.mark.parametrize("top", [D(1), D(29), D(30), D(99), D(101), D(777), D(12345), D("0.5")])
def test_nice_y_covers_top_with_headroom_in_at_most_8_steps(top: Decimal) -> None:
    maximum, step = nice_y(top)
    assert maximum >= top * D("1.1")
    assert maximum % step == 0
    assert maximum / step <= 8


@pytest.mark.parametrize(
    ("value", "text"),
    [(D(45), "45"), (D("45.50"), "45.5"), (D("1.5E+3"), "1500"), (D("0.00"), "0"), (D("-0"), "0")],
)
def test_fmt_number_has_no_trailing_noise(value: Decimal, text: str) -> None:
    assert fmt_number(value) == text


def test_text_width_counts_wide_characters_as_one_em() -> None:
    assert text_width("血小板") == 33
    assert text_width("ab", size=10) == 11


# --- geometry ------------------------------------------------------------------------------


def test_threshold_lines_sit_on_the_y_scale() -> None:
    result = chart([CountPoint(1, D(20)), CountPoint(8, D(45), "R")])
    lines = shapes(result, Line, "threshold")
    assert [line.y1 for line in lines] == [result.scale.y(D(30)), result.scale.y(D(100))]
    assert all(line.y1 == line.y2 and line.dash for line in lines)
    assert result.scale.y(D(0)) == result.scale.bottom
    assert result.scale.y(result.scale.y_max) == result.scale.top
    labels = [t.text for t in shapes(result, Text, "threshold-label")]
    assert labels == ["R threshold (30)", "CR (100)"]


def test_close_threshold_labels_do_not_overlap() -> None:
    result = chart([CountPoint(1, D(1500), "CR")])
    low, high = (t.y for t in shapes(result, Text, "threshold-label"))
    assert low - high >= 11


def test_points_are_drawn_in_day_order_with_their_level() -> None:
    points = [CountPoint(15, D(45), "R"), CountPoint(1, D(12)), CountPoint(8, D(110), "CR")]
    result = chart(points)
    (line,) = shapes(result, Polyline)
    circles = marks(result, Circle)
    assert [c.kind for c in circles] == ["point-baseline", "point-cr", "point-r"]
    assert [(c.cx, c.cy) for c in circles] == list(line.points)
    xs = [c.cx for c in circles]
    assert xs == sorted(xs)
    assert circles[1].cy == result.scale.y(D(110))
    assert [c.title for c in circles] == [
        "Day 1: 12 x10^9/L (Baseline)",
        "Day 8: 110 x10^9/L (CR)",
        "Day 15: 45 x10^9/L (R)",
    ]


def test_levels_differ_by_more_than_colour() -> None:
    points = [CountPoint(-3, D(9)), CountPoint(8, D(9), "NR"), CountPoint(15, D(9), "NE")]
    baseline, nr, ne = marks(chart(points), Circle)
    assert baseline.fill == ne.fill == charts.WHITE  # hollow
    assert nr.fill == nr.stroke  # filled
    assert ne.dash
    assert not baseline.dash


def test_markers_by_kind() -> None:
    markers = [Marker(1, "dose", "Daratumumab"), Marker(8, "dose", "Daratumumab")]
    result = chart([CountPoint(1, D(10))], [*markers, Marker(20, "rescue", "IVIG")])
    doses = [p for p in marks(result, Polygon) if p.kind == "dose"]
    rescues = [p for p in marks(result, Polygon) if p.kind == "rescue"]
    assert [d.title for d in doses] == ["Day 1: Daratumumab", "Day 8: Daratumumab"]
    assert [r.title for r in rescues] == ["Day 20: IVIG"]
    assert len(doses[0].points) == 3  # triangle
    assert len(rescues[0].points) == 4  # diamond
    assert all(y > result.scale.bottom for d in doses for _, y in d.points)  # under the axis
    assert all(y < result.scale.top for _, y in rescues[0].points)  # above the plot
    (line,) = shapes(result, Line, "rescue-line")
    assert line.x1 == result.scale.x(20)


def test_legend_shows_what_the_chart_shows_with_callers_labels() -> None:
    text = dataclasses.replace(TEXT, legend={"baseline": "基线", "rescue": "挽救治疗"})
    result = chart(
        [CountPoint(-1, D(8)), CountPoint(8, D(40), "R")], [Marker(9, "rescue", "x")], text=text
    )
    labels = [t.text for t in shapes(result, Text, "legend-label")]
    assert labels == ["基线", "R", "挽救治疗"]


def test_long_legend_wraps_and_grows_the_chart() -> None:
    legend = {key: "a rather long legend label" for key in charts.DEFAULT_LEGEND}
    points = [
        CountPoint(1, D(5)),
        *(CountPoint(d, D(50), lvl) for d, lvl in [(8, "CR"), (15, "R"), (22, "NR"), (29, "NE")]),
    ]
    events = [Marker(1, "dose", "d"), Marker(20, "rescue", "r")]
    result = chart(points, events, text=dataclasses.replace(TEXT, legend=legend))
    rows = sorted({t.y for t in shapes(result, Text, "legend-label")})
    assert len(rows) > 1
    assert result.height > 280
    assert all(t.y < result.height for t in shapes(result, Text))


def test_a_label_wider_than_the_chart_stays_on_the_first_row() -> None:
    text = dataclasses.replace(TEXT, legend={"baseline": "x" * 200})
    result = chart([CountPoint(1, D(5))], text=text)
    (label,) = shapes(result, Text, "legend-label")
    assert label.x == result.scale.left + 14


def test_empty_chart_has_axes_and_the_message() -> None:
    result = chart()
    assert result.desc == "No counts yet"
    (message,) = shapes(result, Text, "empty")
    assert message.text == "No counts yet"
    assert message.anchor == "middle"
    assert message.x == (result.scale.left + result.scale.right) / 2
    assert len(shapes(result, Line, "axis")) == 2
    assert not shapes(result, Polyline)
    assert not shapes(result, Text, "legend-label")
    assert [t.text for t in shapes(result, Text, "tick-label")][-2:] == ["1", "8"]


def test_negative_days_start_the_axis() -> None:
    points = [CountPoint(-5, D(12)), CountPoint(-1, D(11)), CountPoint(1, D(10))]
    result = chart(points, [Marker(1, "dose", "d")])
    assert result.scale.axis_lo == -5
    x = [c.cx for c in marks(result, Circle)]
    assert result.scale.left < x[0] == result.scale.x(-5)  # clear of the y axis
    assert x[2] - x[1] == pytest.approx((x[1] - x[0]) / 4, abs=0.01)  # day -1, day 1: 1 day
    assert result.desc == "3 counts from day -5 to day 1; last 10 x10^9/L on day 1"


def test_one_point_still_has_an_axis() -> None:
    result = chart([CountPoint(1, D("45.5"), "R")])
    (circle,) = marks(result, Circle)
    assert circle.title == "Day 1: 45.5 x10^9/L (R)"
    assert (result.scale.axis_lo, result.scale.axis_hi) == (0, 7)
    assert result.desc == "1 counts from day 1 to day 1; last 45.5 x10^9/L on day 1"


def test_min_last_day_and_markers_widen_the_axis() -> None:
    assert chart([CountPoint(1, D(5))], min_last_day=60).scale.axis_hi == axis_day(60)
    assert chart([CountPoint(1, D(5))], [Marker(90, "dose", "d")]).scale.axis_hi == 89


def test_large_values_and_zero() -> None:
    result = chart([CountPoint(1, D(0)), CountPoint(15, D(1500), "CR"), CountPoint(29, D(0), "NR")])
    assert result.scale.y_max == D(1750)
    zero, top, _ = marks(result, Circle)
    assert zero.cy == result.scale.bottom
    assert top.cy > result.scale.top
    ticks = [t.text for t in shapes(result, Text, "tick-label")]
    assert "1750" in ticks
    assert "1500" in ticks


def test_without_thresholds_the_plot_takes_the_width() -> None:
    result = chart([CountPoint(1, D(5))], thresholds=[])
    assert result.scale.right == result.width - 12
    assert result.scale.y_max == D(10)


@pytest.mark.parametrize(
    ("points", "markers", "message"),
    [
        ([CountPoint(1, D(5), "PR")], [], "unknown response level 'PR' on day 1"),
        ([CountPoint(3, D(-1))], [], "negative platelet count -1 on day 3"),
        ([], [Marker(1, "surgery", "x")], "unknown marker kind 'surgery' on day 1"),
        ([CountPoint(0, D(5))], [], "day 0 does not exist"),
    ],
)
def test_bad_input_is_rejected(
    points: list[CountPoint], markers: list[Marker], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        chart(points, markers)


def test_geometry_is_frozen() -> None:
    result = chart([CountPoint(1, D(5))])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.shapes[0].kind = "x"  # type: ignore[misc]


def imported(name: str) -> set[str]:
    """Top-level names of the packages ``reports.<name>`` imports, standard library left out."""
    module = importlib.import_module(f"studyapp.reports.{name}")
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    modules = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    return modules - set(sys.stdlib_module_names)


@pytest.mark.parametrize("name", ["charts", "scales", "shapes"])
def test_geometry_imports_nothing_but_the_standard_library(name: str) -> None:
    assert imported(name) <= {"studyapp"}
