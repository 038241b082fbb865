"""The charts of the operational reports (reports/bars.py), drawn by reports/svg.py, no app."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest

from studyapp.reports import bars
from studyapp.reports.shapes import Circle, Line, Polygon, Polyline, Rect, Text
from studyapp.reports.svg import to_svg

SVG = "{http://www.w3.org/2000/svg}"
WORDS = bars.Words("Enrolment", "2 of 20 enrolled", x_label="Month", y_label="Subjects")
MONTHS = ("2026-01", "2026-02", "2026-03")
SCREENED = bars.Series("screened", "Screened", (2, 3, 6))
ENROLLED = bars.Series("enrolled", "Enrolled", (0, 1, 2))


def texts(figure: bars.Figure) -> list[str]:
    return [s.text for s in figure.shapes if isinstance(s, Text)]


def of_kind(figure: bars.Figure, kind: str) -> list:
    return [s for s in figure.shapes if s.kind == kind]


def parse(figure: bars.Figure) -> ET.Element:
    text = str(to_svg(figure, id_prefix="t"))
    assert "style=" not in text
    return ET.fromstring(text)  # noqa: S314 - our own output, parsed to prove it is well-formed


# --- step chart --------------------------------------------------------------------------


def step() -> bars.Figure:
    return bars.step_chart(MONTHS, (SCREENED, ENROLLED), WORDS, target=(20, "Target (20)"))


def test_step_chart_has_the_target_line_labelled_and_above_the_series():
    figure = step()
    (target,) = of_kind(figure, "target")
    assert isinstance(target, Line)
    assert target.dash  # dashed
    assert target.y1 == target.y2
    assert "Target (20)" in texts(figure)
    screened = of_kind(figure, "series-screened")[0]
    # y grows down: the target (20) sits above the highest count (6)
    assert target.y1 < min(y for _x, y in screened.points)


def test_step_chart_steps_hold_the_total_until_the_next_period():
    line = of_kind(step(), "series-screened")[0]
    assert isinstance(line, Polyline)
    points = line.points
    assert len(points) == 2 * len(MONTHS) - 1
    # a horizontal segment then a vertical one per period
    for i in range(1, len(points) - 1, 2):
        assert points[i][1] == points[i - 1][1]
        assert points[i][0] == points[i + 1][0]
    ys = [y for _x, y in points]
    assert ys == sorted(ys, reverse=True)  # cumulative: never going down (y grows down)


def test_step_chart_tells_series_apart_without_colour():
    figure = step()
    lines = {s.kind: s for s in figure.shapes if isinstance(s, Polyline)}
    assert lines["series-screened"].dash != lines["series-enrolled"].dash
    assert of_kind(figure, "mark-circle")
    assert of_kind(figure, "mark-square")
    assert "Screened (6)" in texts(figure)
    assert "Enrolled (2)" in texts(figure)
    tips = [s.title for s in figure.shapes if isinstance(s, Circle) and s.title]
    assert tips == [
        "Screened, 2026-01: 2",
        "Screened, 2026-02: 3",
        "Screened, 2026-03: 6",
    ]


def test_step_chart_svg_is_labelled_for_assistive_tech():
    root = parse(step())
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Enrolment"
    assert root.find(f"{SVG}desc").text == "2 of 20 enrolled"


def test_step_chart_labels_do_not_crowd_with_many_periods():
    months = tuple(f"{2026 + m // 12}-{m % 12 + 1:02d}" for m in range(30))
    series = bars.Series("s", "S", tuple(range(30)))
    figure = bars.step_chart(months, (series,), WORDS, width=400)
    shown = [s for s in of_kind(figure, "tick-label") if s.text in months]
    assert months[-1] in [s.text for s in shown]
    assert 2 <= len(shown) < len(months)
    xs = sorted(s.x for s in shown)
    assert min(b - a for a, b in itertools.pairwise(xs)) >= bars.text_width("2026-01")


def test_step_chart_without_periods_says_so():
    figure = bars.step_chart((), (bars.Series("s", "S", ()),), WORDS, target=(20, "Target"))
    assert WORDS.empty in texts(figure)
    parse(figure)


@pytest.mark.parametrize(
    "series",
    [bars.Series("s", "S", (1, 2)), bars.Series("s", "S", (1, -2, 3))],
)
def test_chart_refuses_bad_series(series):
    with pytest.raises(ValueError, match="series s"):
        bars.step_chart(MONTHS, (series,), WORDS)
    with pytest.raises(ValueError, match="series s"):
        bars.stacked_bars(MONTHS, (series,), WORDS)


# --- stacked bars ------------------------------------------------------------------------

VISITS = ("Screening", "Dose 1")
DONE = bars.Series("done", "in window", (3, 1))
LATE = bars.Series("late", "out of window", (1, 0))
MISSED = bars.Series("missed", "missed", (0, 2))


def stacked() -> bars.Figure:
    return bars.stacked_bars(VISITS, (DONE, LATE, MISSED), WORDS)


def test_stacked_bars_segments_are_proportional_and_adjacent():
    figure = stacked()
    first = [s for s in figure.shapes if isinstance(s, Rect) and s.kind.startswith("segment-")]
    row0 = [r for r in first if r.y == first[0].y]
    assert [r.kind for r in row0] == ["segment-done", "segment-late"]  # no empty segment
    assert row0[0].width == pytest.approx(3 * row0[1].width)
    assert row0[0].x + row0[0].width == pytest.approx(row0[1].x)
    row1 = [r for r in first if r.y != first[0].y]
    assert [r.kind for r in row1] == ["segment-done", "segment-missed"]
    assert row1[1].width == pytest.approx(2 * row1[0].width)


def test_stacked_bars_carry_numbers_totals_and_legend_counts():
    figure = stacked()
    values = [s.text for s in of_kind(figure, "segment-value")]
    assert values == ["3", "1", "1", "2"]
    assert [s.text for s in of_kind(figure, "bar-total")] == ["4", "3"]
    assert [s.text for s in of_kind(figure, "category-label")] == list(VISITS)
    legend = [s.text for s in of_kind(figure, "legend-label")]
    assert legend == ["in window (4)", "out of window (1)", "missed (2)"]
    tips = [s.title for s in figure.shapes if isinstance(s, Rect) and s.title]
    assert "missed, Dose 1: 2" in tips


def test_segment_numbers_read_on_their_colour():
    assert bars._ink_on("#b8c2cc") == bars.INK
    assert bars._ink_on("#005a9c") == bars.WHITE


def test_stacked_bars_with_nothing_to_count_say_so():
    empty = bars.stacked_bars(VISITS, (bars.Series("d", "done", (0, 0)),), WORDS)
    assert WORDS.empty in texts(empty)
    assert not of_kind(empty, "segment-d")
    parse(empty)


def test_stacked_bars_escape_their_words():
    hostile = bars.Series("x", "<script>&", (1, 1))
    text = str(to_svg(bars.stacked_bars(("<b>visit</b>", "B"), (hostile,), WORDS)))
    assert "<script>" not in text
    assert "&lt;b&gt;visit&lt;/b&gt;" in text


def test_every_shape_is_a_known_primitive():
    for figure in (step(), stacked()):
        assert all(
            isinstance(s, Line | Polyline | Polygon | Circle | Rect | Text) for s in figure.shapes
        )


def test_the_longest_bar_spans_the_plot():
    figure = bars.stacked_bars(VISITS, (DONE, LATE, MISSED), WORDS, width=500)
    segments = [s for s in figure.shapes if isinstance(s, Rect) and s.kind.startswith("segment-")]
    assert max(s.x + s.width for s in segments) == pytest.approx(500 - 40)
