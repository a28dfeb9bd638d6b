"""Charts drawn on the server as accessible SVG.

Each chart has a <title> and a <desc> (named by aria-labelledby) and is always accompanied
by a table of the same, disclosed figures. Suppressed values are drawn as a marked gap.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString, mark_safe

from reports.disclosure import Cell
from reports.spc import SpcChart

if TYPE_CHECKING:
    from reports.tables import Dashboard

_ids = itertools.count(1)
NHS_BLUE, GREY, ORANGE, PURPLE = "#005eb8", "#768692", "#ed8b00", "#330072"


def _svg(width: int, height: int, title: str, desc: str, body: list[str]) -> SafeString:
    n = next(_ids)
    return mark_safe(  # noqa: S308 - every interpolated string below is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="su-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" '
        f'aria-labelledby="chart-title-{n} chart-desc-{n}">'
        f'<title id="chart-title-{n}">{escape(title)}</title>'
        f'<desc id="chart-desc-{n}">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def bar_chart(title: str, items: Sequence[tuple[str, Cell]]) -> SafeString:
    """Horizontal bars, one per label; a suppressed value is shown as '*' with no bar."""
    label_w, bar_w, row_h = 260, 300, 26
    height = max(1, len(items)) * row_h + 10
    top = max([c.value or 0 for _, c in items] + [1])
    body, parts = [], []
    for i, (label, cell) in enumerate(items):
        y = 5 + i * row_h
        body.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="13">'
            f"{escape(label[:40])}</text>"
        )
        if not cell.suppressed and cell.value:
            w = max(1, round(bar_w * float(cell.value) / top))
            body.append(
                f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row_h - 8}" '
                f'fill="{NHS_BLUE}"/>'
            )
        else:
            w = 0
        body.append(
            f'<text x="{label_w + w + 6}" y="{y + 17}" font-size="13">{escape(cell.display)}</text>'
        )
        parts.append(f"{label}: {cell.display}")
    desc = "; ".join(parts) + ". '*' means 1 to 7, withheld to protect reporters."
    return _svg(label_w + bar_w + 60, height, title, desc, body)


def spc_chart(
    title: str, months: Sequence[str], cells: Sequence[Cell], chart: SpcChart
) -> SafeString:
    """Monthly counts with mean and process limits; special-cause points coloured."""
    width, height, left, right, top_pad, bottom = 720, 300, 50, 20, 20, 50
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    values = [c.value for c in cells if c.value is not None]
    y_max = max([*values, chart.upper, 1.0]) * 1.1
    n = max(1, len(cells) - 1)

    def x(i: int) -> float:
        return left + plot_w * i / n

    def y(v: float) -> float:
        return top_pad + plot_h * (1 - v / y_max)

    body = [
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" stroke="#425563"/>'
    ]
    for v, name, dash in (
        (chart.mean, "Mean", ""),
        (chart.upper, "Upper process limit", "6 4"),
        (chart.lower, "Lower process limit", "6 4"),
    ):
        if chart.has_limits or name == "Mean":
            body.append(
                f'<line x1="{left}" y1="{y(v):.1f}" x2="{width - right}" y2="{y(v):.1f}" '
                f'stroke="{GREY}" stroke-dasharray="{dash}"><title>{name}: {v:.0f}</title></line>'
            )
    for tick in (0, y_max / 2, y_max / 1.1):
        body.append(
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11">'
            f"{tick:.0f}</text>"
        )
    path = []
    for i, cell in enumerate(cells):
        if cell.value is None:
            path.append(None)
            continue
        path.append((x(i), y(float(cell.value))))
    segments, current = [], []
    for p in path:
        if p is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append(p)
    if current:
        segments.append(current)
    for seg in segments:
        points = " ".join(f"{px:.1f},{py:.1f}" for px, py in seg)
        body.append(f'<polyline points="{points}" fill="none" stroke="{NHS_BLUE}"/>')
    for i, (cell, month) in enumerate(zip(cells, months, strict=True)):
        point = chart.points[i] if i < len(chart.points) else None
        special = point is not None and point.special and chart.has_limits
        colour = (ORANGE if point.direction == "high" else PURPLE) if special else NHS_BLUE
        if cell.value is None:
            body.append(
                f'<text x="{x(i):.1f}" y="{y(0) - 4:.1f}" text-anchor="middle" font-size="12">'
                f"*</text>"
            )
        else:
            body.append(
                f'<circle cx="{x(i):.1f}" cy="{y(float(cell.value)):.1f}" '
                f'r="{5 if special else 3}" '
                f'fill="{colour}"><title>{escape(month)}: {escape(cell.display)}'
                f"{' (special cause)' if special else ''}</title></circle>"
            )
        if i % 3 == 0:
            body.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                f'font-size="11">{escape(month)}</text>'
            )
    desc = (
        f"{len(cells)} months. Mean {chart.mean:.0f}"
        + (
            f", process limits {chart.lower:.0f} to {chart.upper:.0f}; "
            f"{chart.special_count} month(s) show special-cause variation (orange higher, "
            "purple lower)."
            if chart.has_limits
            else "; too few months for process limits."
        )
        + " The table below gives every value."
    )
    return _svg(width, height, title, desc, body)


def dashboard_charts(dashboard: Dashboard) -> dict[str, SafeString]:
    """Every chart the dashboard shows, by table key (the page and the Board pack alike)."""
    tables = dashboard.tables
    drawn = {
        key: bar_chart(t.title, t.chart_values()) for key, t in tables.items() if t.chart == "bar"
    }
    months = [f"{m:%b %Y}" for m in dashboard.trend_months]
    drawn["trend"] = spc_chart(
        tables["trend"].title, months, dashboard.trend_cells, dashboard.trend
    )
    return drawn
