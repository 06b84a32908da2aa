"""The allocation-by-asset-class bar chart of the run admin page, as inline SVG.

Rendered on the server: the admin loads no chart library, no CDN and no
JavaScript for it. Each asset class gets two horizontal bars (before, after),
scaled so that 100 % fills the bar area; the weight is written beside each bar,
so the chart also reads without colour.

Asset-class names come from the client's shelf entries: every text goes
through ``format_html``, which escapes it (the SVG is inline HTML).
"""
from __future__ import annotations

from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .admin_result import AllocationBar

LABEL_WIDTH = 150
BAR_AREA = 340
VALUE_WIDTH = 80
WIDTH = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
BAR_HEIGHT = 12
ROW_HEIGHT = 2 * BAR_HEIGHT + 14
LEGEND_HEIGHT = 26
# Class names longer than this are shortened on the chart; the full name is
# the text's tooltip (an SVG <title>).
LABEL_MAX_CHARS = 20

BEFORE_COLOUR = "#9fb8cc"
AFTER_COLOUR = "#2b6a94"


def allocation_chart(bars: list[AllocationBar]) -> SafeString:
    """An ``<svg>`` element, or an empty string when there is nothing to draw."""
    if not bars:
        return SafeString("")
    # Weights above 100 % (negative cash elsewhere) widen the scale instead of overflowing.
    scale = max([Decimal(1)] + [w for bar in bars for w in (bar.before, bar.after) if w is not None])
    height = LEGEND_HEIGHT + ROW_HEIGHT * len(bars)
    rows = format_html_join("", "{}", ((_row(i, bar, scale),) for i, bar in enumerate(bars)))
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="allocation-chart" width="{w}" height="{h}" '
        'viewBox="0 0 {w} {h}" role="img" aria-labelledby="allocation-chart-title">'
        '<title id="allocation-chart-title">Allocation by asset class, before and after the rebalance</title>'
        "{legend}{rows}</svg>",
        w=WIDTH,
        h=height,
        legend=_legend(),
        rows=rows,
    )


def _legend() -> SafeString:
    return format_html(
        '<g class="legend" font-size="12">'
        '<rect x="{x1}" y="4" width="12" height="12" fill="{before}"></rect>'
        '<text x="{t1}" y="14">Before</text>'
        '<rect x="{x2}" y="4" width="12" height="12" fill="{after}"></rect>'
        '<text x="{t2}" y="14">After</text>'
        "</g>",
        x1=LABEL_WIDTH,
        t1=LABEL_WIDTH + 18,
        x2=LABEL_WIDTH + 80,
        t2=LABEL_WIDTH + 98,
        before=BEFORE_COLOUR,
        after=AFTER_COLOUR,
    )


def _row(index: int, bar: AllocationBar, scale: Decimal) -> SafeString:
    top = LEGEND_HEIGHT + index * ROW_HEIGHT
    label = bar.key if len(bar.key) <= LABEL_MAX_CHARS else bar.key[: LABEL_MAX_CHARS - 1] + "…"
    return format_html(
        '<g class="asset-class" font-size="12">'
        '<text x="{lx}" y="{ly}" text-anchor="end"><title>{key}</title>{label}</text>'
        "{before}{after}</g>",
        lx=LABEL_WIDTH - 8,
        ly=top + BAR_HEIGHT + 5,
        key=bar.key,
        label=label,
        before=_bar("before", bar.before, top, scale, BEFORE_COLOUR),
        after=_bar("after", bar.after, top + BAR_HEIGHT + 2, scale, AFTER_COLOUR),
    )


def _bar(kind: str, weight: Decimal | None, y: int, scale: Decimal, colour: str) -> SafeString:
    # A negative weight (an overdraft) has no bar; its figure still shows.
    length = 0 if weight is None or weight <= 0 else round(float(weight / scale) * BAR_AREA, 1)
    return format_html(
        '<rect class="{kind}" x="{x}" y="{y}" width="{length}" height="{h}" fill="{colour}"></rect>'
        '<text x="{tx}" y="{ty}" font-size="11">{value}</text>',
        kind=kind,
        x=LABEL_WIDTH,
        y=y,
        length=length,
        h=BAR_HEIGHT,
        colour=colour,
        tx=LABEL_WIDTH + length + 4,
        ty=y + BAR_HEIGHT - 2,
        value=percent(weight),
    )


def percent(weight: Decimal | None) -> str:
    """0.8968 -> "89.68 %"; absent (no such class on that side) -> "–"."""
    if weight is None:
        return "–"
    return f"{weight * 100:.2f} %"
