"""Small inline-SVG charts for the monthly report: no library, no script, no network.

Each function returns an ``<svg>`` element as text, sized by ``viewBox`` so that it scales with the
page. Series are drawn as ``<path class="series">``, bars as ``<rect class="bar">``: the browser
test measures those to check the charts drew.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

#: Colour-blind-safe palette (Okabe-Ito, without yellow, which reads badly on white).
PALETTE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000")


@dataclass(frozen=True)
class Series:
    """A line: its label, colour and points ``(x, y)`` with y in the chart's unit."""

    label: str
    colour: str
    points: Sequence[tuple[float, float]]


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def nice_max(value: float) -> float:
    """A round upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten, at least ``value``."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power * (1 + 1e-12):
            return step * power
    return 10.0 * power


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_labels: dict[float, str],
    y_max: float | None = None,
    y_format: Callable[[float], str] = "{:.0%}".format,
    width: int = 460,
    height: int = 260,
    area: bool = False,
) -> str:
    """Lines (optionally filled to the axis) over labelled x positions, with a y grid and a legend."""
    left, right, top, bottom = 56, 30, 28, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [x for s in series for x, _ in s.points] + list(x_labels)
    x_min, x_max = (min(xs), max(xs)) if xs else (0.0, 1.0)
    span = (x_max - x_min) or 1.0
    top_value = (
        y_max if y_max is not None else nice_max(max((y for s in series for _, y in s.points), default=0))
    )

    def sx(x: float) -> float:
        return left + (x - x_min) / span * plot_w

    def sy(y: float) -> float:
        return top + plot_h - (y / top_value) * plot_h if top_value else top + plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text class="title" x="{left}" y="16">{escape(title)}</text>',
    ]
    for k in range(5):
        value = top_value * k / 4
        y = sy(value)
        parts.append(f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{_fmt(y)}" y2="{_fmt(y)}"/>')
        parts.append(
            f'<text class="tick" x="{left - 6}" y="{_fmt(y + 4)}" text-anchor="end">'
            f"{escape(y_format(value))}</text>"
        )
    for x, label in x_labels.items():
        parts.append(
            f'<text class="tick" x="{_fmt(sx(x))}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    parts.append(
        f'<line class="axis" x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}"/>'
    )
    for s in series:
        if not s.points:
            continue
        pts = sorted(s.points)
        d = " ".join(f"{'M' if i == 0 else 'L'}{_fmt(sx(x))},{_fmt(sy(y))}" for i, (x, y) in enumerate(pts))
        if area and len(pts) > 1:
            fill = f"{d} L{_fmt(sx(pts[-1][0]))},{top + plot_h} L{_fmt(sx(pts[0][0]))},{top + plot_h} Z"
            parts.append(
                f'<path class="area" d="{fill}" fill="{s.colour}" fill-opacity="0.12" stroke="none"/>'
            )
        if len(pts) > 1:  # a single point is a dot only: a one-point path has no size
            parts.append(
                f'<path class="series" d="{d}" fill="none" stroke="{s.colour}" stroke-width="2.2">'
                f"<title>{escape(s.label)}</title></path>"
            )
        for x, y in pts:
            parts.append(f'<circle cx="{_fmt(sx(x))}" cy="{_fmt(sy(y))}" r="2.8" fill="{s.colour}"/>')
    # Legend under the plot, wrapping by width.
    lx, ly = left, top + plot_h + 34
    for s in series:
        label_w = 18 + 7 * len(s.label)
        if lx + label_w > width - right:
            lx, ly = left, ly + 14
        parts.append(
            f'<rect class="swatch" x="{lx}" y="{ly - 8}" width="12" height="4" fill="{s.colour}"/>'
            f'<text class="legend" x="{lx + 16}" y="{ly - 3}">{escape(s.label)}</text>'
        )
        lx += label_w
    parts.append("</svg>")
    return "".join(parts)


def funnel_chart(stages: Sequence[tuple[str, int]], *, title: str, width: int = 940) -> str:
    """Horizontal bars, one per stage, as a share of the first stage, with counts and percentages."""
    label_w, bar_h, gap, top = 230, 26, 10, 30
    height = top + len(stages) * (bar_h + gap) + 6
    base = stages[0][1] if stages and stages[0][1] else 0
    plot_w = width - label_w - 130
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text class="title" x="0" y="16">{escape(title)}</text>',
    ]
    for i, (label, count) in enumerate(stages):
        y = top + i * (bar_h + gap)
        share = count / base if base else 0.0
        w = max(plot_w * share, 1.5 if count else 0.0)
        colour = PALETTE[0] if i == 0 else PALETTE[2] if i == len(stages) - 1 else PALETTE[4]
        parts.append(
            f'<text class="label" x="{label_w - 8}" y="{y + bar_h / 2 + 5}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{y}" width="{_fmt(w)}" height="{bar_h}" '
            f'fill="{colour}" rx="3"><title>{escape(label)}: {count}</title></rect>'
        )
        parts.append(
            f'<text class="value" x="{_fmt(label_w + w + 8)}" y="{y + bar_h / 2 + 5}">'
            f"{count:,} ({share:.0%})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def rate_bar(
    value: Decimal | None, *, scale: Decimal = Decimal(1), width: int = 90, colour: str = PALETTE[0]
) -> str:
    """A small inline bar for a table cell (empty when the rate is unknown)."""
    if value is None or scale <= 0:
        return ""
    w = float(min(max(value / scale, Decimal(0)), Decimal(1))) * width
    return (
        f'<svg class="cellbar" viewBox="0 0 {width} 10" width="{width}" height="10">'
        f'<rect x="0" y="0" width="{width}" height="10" fill="#eef1f5"/>'
        f'<rect class="bar" x="0" y="0" width="{_fmt(max(w, 1.0) if value > 0 else 0.0)}" height="10" '
        f'fill="{colour}"/></svg>'
    )
