"""A team lead opens the dashboard on a phone or prints it: each chart is well-formed SVG that
scales with the page, says what it shows to a screen reader, draws every value to scale, stacks
the promise outcomes in order, leaves a gap for a week without promises and shows a hostile
label as plain text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from bot.dashboard.charts import Bar, LineSeries, Series, horizontal_bars, lines, sparkline, stacked_bars

pytestmark = pytest.mark.backend_independent

NS = "{http://www.w3.org/2000/svg}"
WEEKS = ["Oct 12", "Oct 19", "Oct 26", "Nov 2", "Nov 9", "Nov 16"]


def outcomes(
    kept=(5, 3, 0, 4, 6, 7), late=(1, 0, 0, 2, 1, 0), told=(0, 1, 0, 0, 1, 0), missed=(1, 0, 0, 0, 0, 1)
):
    return [
        Series("kept on time", list(kept), "good"),
        Series("kept late", list(late), "late"),
        Series("rescheduled (customer told)", list(told), "neutral"),
        Series("missed", list(missed), "bad"),
    ]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises unless the markup is well-formed XML


def all_of(root: ET.Element, tag: str, css_class: str | None = None) -> list[ET.Element]:
    found = root.iter(NS + tag)
    return [element for element in found if css_class in (None, *element.get("class", "").split())]


def texts(root: ET.Element, css_class: str) -> list[str]:
    return ["".join(element.itertext()) for element in all_of(root, "text", css_class)]


def every_chart() -> dict[str, str]:
    return {
        "stacked": stacked_bars("Promises per week", WEEKS, outcomes()),
        "lines": lines("On-time rate", WEEKS, [LineSeries("team", [80, 75, None, 90, 85, 70], "info")],
                       y_max=100, unit="%"),
        "horizontal": horizontal_bars("Time to first contact", [Bar("Urgent", 0.5, "30m")], unit="h"),
    }


@pytest.mark.parametrize("kind", ["stacked", "lines", "horizontal"])
def test_a_chart_scales_with_the_page_and_names_itself(kind):
    root = parse(every_chart()[kind])
    assert root.tag == NS + "svg"
    assert re.fullmatch(r"0 0 \d+(\.\d+)? \d+(\.\d+)?", root.get("viewBox"))
    assert root.get("width") == "100%" and root.get("height") is None
    assert root.get("role") == "img"
    title, desc = root.find(NS + "title"), root.find(NS + "desc")
    assert title.text and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    # It prints as seen: a white background under everything.
    assert root[2].tag == NS + "rect" and root[2].get("fill") == "#ffffff"


def test_bar_heights_are_proportional_to_the_promises():
    root = parse(stacked_bars("Promises per week", WEEKS, outcomes()))
    segments = all_of(root, "rect", "ck-segment")
    values = [value for series in outcomes() for value in series.values if value]
    assert len(segments) == len(values)
    per_promise = {round(float(rect.get("height")) / float(title_value(rect)), 3) for rect in segments}
    assert len(per_promise) == 1


def title_value(element: ET.Element) -> str:
    return element.find(NS + "title").text.rsplit(": ", 1)[1]


def test_outcomes_stack_in_the_legend_order_kept_at_the_bottom():
    root = parse(stacked_bars("Promises per week", WEEKS, outcomes()))
    first_week = next(bar for bar in all_of(root, "g", "ck-bar") if bar.get("data-index") == "0")
    segments = all_of(first_week, "rect", "ck-segment")
    assert [rect.get("data-series") for rect in segments] == ["0", "1", "3"]  # none rescheduled
    for lower, upper in zip(segments, segments[1:], strict=False):
        upper_bottom = float(upper.get("y")) + float(upper.get("height"))
        assert upper_bottom == pytest.approx(float(lower.get("y")), abs=0.02)
    legend = ["".join(entry.itertext()) for entry in all_of(root, "g", "ck-legend-entry")]
    assert legend == ["kept on time", "kept late", "rescheduled (customer told)", "missed"]


def test_a_week_without_promises_keeps_its_label_and_reads_zero():
    root = parse(stacked_bars("Promises per week", WEEKS, outcomes()))
    assert texts(root, "ck-category") == WEEKS
    assert texts(root, "ck-total") == ["7", "4", "0", "6", "8", "8"]
    third_week = next(bar for bar in all_of(root, "g", "ck-bar") if bar.get("data-index") == "2")
    assert all_of(third_week, "rect", "ck-segment") == []


def test_outcomes_differ_by_pattern_not_only_by_colour():
    root = parse(stacked_bars("Promises per week", WEEKS, outcomes()))
    fills = {rect.get("data-series"): rect.get("fill") for rect in all_of(root, "rect", "ck-segment")}
    assert len(set(fills.values())) == 4
    patterns = {pattern.get("id") for pattern in all_of(root, "pattern")}
    patterned = [fill for fill in fills.values() if fill.startswith("url(")]
    assert len(patterned) == 3 and {fill[5:-1] for fill in patterned} <= patterns


def test_two_charts_on_one_page_do_not_share_pattern_ids():
    first = parse(stacked_bars("Team", WEEKS, outcomes()))
    second = parse(stacked_bars("Alex", WEEKS, outcomes(kept=(1, 1, 1, 1, 1, 1))))
    ids = lambda root: {element.get("id") for element in root.iter() if element.get("id")}  # noqa: E731
    assert ids(first) and not ids(first) & ids(second)


def test_ticks_are_round_numbers():
    counts = parse(stacked_bars("Promises per week", ["a", "b"], [Series("kept", [7, 3], "good")]))
    assert texts(counts, "ck-tick") == ["0", "2", "4", "6", "8"]
    team = [LineSeries("team", [40, 60], "info")]
    rates = parse(lines("On-time rate", ["a", "b"], team, y_max=100, unit="%"))
    assert texts(rates, "ck-tick") == ["0%", "25%", "50%", "75%", "100%"]
    categories = parse(lines("Recurring", ["a", "b"], [LineSeries("billing", [9, 2], "category-1")]))
    assert texts(categories, "ck-tick") == ["0", "5", "10"]  # never 2.5 cases


def test_a_week_with_no_promises_is_a_gap_in_the_rate_not_zero():
    rates = [80, 75, None, 90, None, 70]
    root = parse(lines("On-time rate", WEEKS, [LineSeries("team", rates, "info")], y_max=100, unit="%"))
    path = all_of(root, "path", "ck-line-path")[0].get("d")
    runs = re.findall(r"M[^M]*", path)
    assert [len(re.findall(r"[ML]", run)) for run in runs] == [2, 1, 1]
    points = all_of(root, "g", "ck-point")
    assert [point.get("data-index") for point in points] == ["0", "1", "3", "5"]
    heights = [float(run.split()[-1]) for run in runs]
    zero_line = max(float(line.get("y1")) for line in all_of(root, "line"))
    assert all(height < zero_line for height in heights)
    assert "no value in 2 of 6" in root.find(NS + "desc").text


def test_lines_differ_by_dash_and_marker_as_well_as_colour():
    series = [LineSeries("billing", [3, 4, 2], "category-1"), LineSeries("delivery", [1, 5, 2], "category-1")]
    root = parse(lines("Recurring categories", ["a", "b", "c"], series))
    paths = all_of(root, "path", "ck-line-path")
    assert paths[0].get("stroke-dasharray") != paths[1].get("stroke-dasharray")
    groups = all_of(root, "g", "ck-line")
    shapes = [{child.tag for point in all_of(group, "g", "ck-point") for child in point} for group in groups]
    assert shapes[0] != shapes[1]


def test_time_to_first_contact_bars_are_to_scale_and_a_priority_without_contacts_says_so():
    rows = [Bar("Urgent", 0.5, "30m"), Bar("High", 2, "2h"), Bar("Low", None, "no contacts yet")]
    root = parse(horizontal_bars("Time to first contact", rows, unit="h"))
    bars = all_of(root, "rect", "ck-hbar")
    assert len(bars) == 2
    assert float(bars[1].get("width")) == pytest.approx(4 * float(bars[0].get("width")), rel=0.01)
    assert texts(root, "ck-row-label") == ["Urgent", "High", "Low"]
    assert texts(root, "ck-row-text") == ["30m", "2h", "no contacts yet"]
    assert "Low: no contacts yet" in root.find(NS + "desc").text


HOSTILE = '<script>alert("x")</script>'


def test_hostile_labels_come_out_as_plain_text():
    evil_series = [Series('"><img src=x onerror=alert(1)>', [1, 2], "good")]
    charts = [
        stacked_bars(HOSTILE, [HOSTILE, "week & \x00\x1b co"], evil_series, unit="<b>"),
        lines(HOSTILE, [HOSTILE, "b"], [LineSeries(HOSTILE, [1, None], "info")], unit="'\"&"),
        horizontal_bars(HOSTILE, [Bar(HOSTILE, 1, HOSTILE), Bar("&amp;", None, "<i>")]),
        sparkline([1, None, 3], unit="<script>"),
    ]
    for svg in charts:
        root = parse(svg)
        tags = {element.tag for element in root.iter()}
        assert not {NS + "script", NS + "img", NS + "b", NS + "i", "script", "img"} & tags
        assert all(not name.startswith("on") for element in root.iter() for name in element.attrib)
    shown = "".join(parse(charts[0]).itertext())
    assert HOSTILE in shown and "week &  co" in shown
    assert "&amp;" in "".join(parse(charts[2]).itertext())


def test_a_sparkline_fits_a_table_cell_and_breaks_at_gaps():
    root = parse(sparkline([80, None, 70, 90, None, 100]))
    assert root.get("role") == "img" and root.get("viewBox") and root.get("width") is None
    assert "em" in root.get("style")
    assert root.find(NS + "title").text == "Trend: 80, no value, 70, 90, no value, 100"
    runs = re.findall(r"M[^M]*", all_of(root, "path", "ck-spark-line")[0].get("d"))
    assert len(runs) == 3
    # The lone values (80, 100) get a dot, so they are not lost; so does the latest.
    assert len(all_of(root, "circle", "ck-spark-dot")) == 2


def test_mismatched_or_unknown_input_is_refused():
    with pytest.raises(ValueError, match="3 values for 2 labels"):
        stacked_bars("x", ["a", "b"], [Series("kept", [1, 2, 3], "good")])
    with pytest.raises(ValueError, match="Unknown tone 'pink'"):
        stacked_bars("x", ["a"], [Series("kept", [1], "pink")])
    with pytest.raises(ValueError, match="negative"):
        lines("x", ["a"], [LineSeries("rate", [-5], "info")])


def test_an_empty_team_still_gets_a_chart():
    for svg in (stacked_bars("Promises per week", WEEKS, outcomes(*[(0,) * 6] * 4)),
                lines("On-time rate", WEEKS, [LineSeries("team", [None] * 6, "info")], y_max=100, unit="%"),
                horizontal_bars("Time to first contact", [Bar("Urgent", None, "no contacts yet")]),
                stacked_bars("Nothing", [], [])):
        root = parse(svg)
        assert root.find(NS + "desc").text
