"""Inline-SVG charts of the monthly report: axis bounds, coordinates of lines and bars, escaping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from recouvra.report.svg import PALETTE, Series, funnel_chart, line_chart, nice_max, rate_bar

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    """The chart as XML (it must be well formed to be inlined in the page)."""
    return ET.fromstring(svg.replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))


@pytest.mark.parametrize(
    ("value", "bound"),
    [(0, 1.0), (-5, 1.0), (0.3, 0.5), (1, 1.0), (1.01, 2.0), (2.2, 2.5), (2.5, 2.5), (3, 5.0), (7, 10.0),
     (10, 10.0), (12, 20.0), (0.07, 0.1), (0.21, 0.25), (1234.5, 2000.0), (2_600_000, 5_000_000.0)],
)
def test_nice_max_is_a_round_bound_at_least_the_value(value: float, bound: float) -> None:
    assert nice_max(value) == pytest.approx(bound)


def test_line_chart_places_points_on_the_axes() -> None:
    svg = line_chart([Series("AG01", "#123456", [(2, 0.5), (0, 0.0), (1, 0.25)])], title="Recovery",
                     x_labels={0.0: "0", 1.0: "1", 2.0: "2"}, y_max=1.0, width=200, height=100)
    root = parse(svg)
    assert root.get("viewBox") == "0 0 200 100" and root.get("aria-label") == "Recovery"
    # plot: x from 56 to 170 (width 114), y from 28 (top) to 42 (height 100 - 28 - 58 = 14)
    path = root.find(f"{SVG}path[@class='series']")
    assert path is not None and path.get("d") == "M56.0,42.0 L113.0,38.5 L170.0,35.0"
    assert path.get("stroke") == "#123456" and path.findtext(f"{SVG}title") == "AG01"
    assert [(c.get("cx"), c.get("cy")) for c in root.iter(f"{SVG}circle")] == [
        ("56.0", "42.0"), ("113.0", "38.5"), ("170.0", "35.0")]
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks == ["0%", "25%", "50%", "75%", "100%", "0", "1", "2"]
    assert root.find(f"{SVG}path[@class='area']") is None


def test_line_chart_area_and_single_points() -> None:
    svg = line_chart([Series("open", PALETTE[1], [(0, 10), (1, 20)]), Series("one", PALETTE[2], [(0, 5)]),
                      Series("none", PALETTE[3], [])],
                     title="MAD", x_labels={}, y_format="{:.0f}".format, area=True)
    root = parse(svg)
    assert len(root.findall(f"{SVG}path[@class='area']")) == 1
    assert len(root.findall(f"{SVG}path[@class='series']")) == 1  # a single point draws no line
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"] == [
        "0", "5", "10", "15", "20"]  # y bound from nice_max(20)
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "legend"] == ["open", "one", "none"]


def test_labels_and_titles_are_escaped() -> None:
    svg = line_chart([Series("<b>&", "#000", [(0, 1), (1, 2)])], title='A "B" <C>', x_labels={0.0: "<x>"})
    root = parse(svg)
    assert root.get("aria-label") == 'A "B" <C>'
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg
    funnel = funnel_chart([("<Assigned>", 1)], title="&")
    assert "&lt;Assigned&gt;" in funnel and parse(funnel).get("aria-label") == "&"


def test_funnel_bars_are_shares_of_the_first_stage() -> None:
    svg = funnel_chart([("Assigned", 200), ("Worked", 50), ("Paid", 0)], title="Funnel", width=940)
    root = parse(svg)
    bars = root.findall(f"{SVG}rect[@class='bar']")
    assert [b.get("width") for b in bars] == ["580.0", "145.0", "0.0"]  # plot width 940 - 230 - 130
    assert [b.get("fill") for b in bars] == [PALETTE[0], PALETTE[4], PALETTE[2]]
    assert [b.findtext(f"{SVG}title") for b in bars] == ["Assigned: 200", "Worked: 50", "Paid: 0"]
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "value"] == [
        "200 (100%)", "50 (25%)", "0 (0%)"]
    assert root.get("viewBox") == "0 0 940 144"  # 30 + 3 x 36 + 6


def test_a_small_count_still_shows_and_an_empty_funnel_draws_nothing() -> None:
    bars = parse(funnel_chart([("Assigned", 100_000), ("Paid", 1)], title="f")).findall(f"{SVG}rect")
    assert bars[1].get("width") == "1.5"
    assert parse(funnel_chart([], title="f")).findall(f"{SVG}rect") == []
    zero = parse(funnel_chart([("Assigned", 0), ("Paid", 0)], title="f")).findall(f"{SVG}rect")
    assert [b.get("width") for b in zero] == ["0.0", "0.0"]


@pytest.mark.parametrize(
    ("value", "scale", "width"),
    [(Decimal("0.5"), Decimal(1), "45.0"), (Decimal("0.25"), Decimal("0.5"), "45.0"),
     (Decimal("2"), Decimal(1), "90.0"), (Decimal("-0.1"), Decimal(1), "0.0"),
     (Decimal(0), Decimal(1), "0.0"), (Decimal("0.001"), Decimal(1), "1.0")],
)
def test_rate_bar_width(value: Decimal, scale: Decimal, width: str) -> None:
    svg = rate_bar(value, scale=scale)
    found = re.search(r'class="bar" x="0" y="0" width="([0-9.]+)"', svg)
    assert found is not None and found.group(1) == width


def test_rate_bar_is_empty_without_a_rate_or_a_scale() -> None:
    assert rate_bar(None) == "" and rate_bar(Decimal("0.5"), scale=Decimal(0)) == ""
