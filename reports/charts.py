"""Charts drawn on the server as accessible SVG.

Each chart has a <title> and a <desc> (named by aria-labelledby) and is always accompanied
by a table of the same, disclosed figures. Suppressed values are drawn as a marked gap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString, mark_safe

from reports.disclosure import Cell
from reports.spc import SpcChart

if TYPE_CHECKING:
    from reports.tables import Dashboard

NHS_BLUE, GREY, ORANGE, PURPLE = "#005eb8", "#768692", "#ed8b00", "#330072"
TEXT, AXIS_TEXT = 16, 15  # font sizes (px at the chart's natural width)
BAR_WIDTH = 360  # a bar chart's natural width: 288 px on a 320 px screen keeps 16 px at 12.8
LABEL_CHARS = 36  # a bar's label wraps at about this many characters, never cut off
MONTH_LABEL = 80  # room for one month's label ("Sept 2026") on the trend's axis


def _svg(
    width: int, height: int, title: str, desc: str, body: list[str], n: str, kind: str
) -> SafeString:
    # Ids come from the chart's table key, so that a page renders the same bytes every time.
    return mark_safe(  # noqa: S308 - every interpolated string below is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="su-chart su-chart--{kind}" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" '
        f'aria-labelledby="chart-title-{n} chart-desc-{n}">'
        f'<title id="chart-title-{n}">{escape(title)}</title>'
        f'<desc id="chart-desc-{n}">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def wrap(label: str, width: int = LABEL_CHARS) -> list[str]:
    """A label in lines of about ``width`` characters, broken at spaces (a word longer than
    a line is kept whole): nothing is cut off."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def bar_chart(title: str, items: Sequence[tuple[str, Cell]], n: str = "bar") -> SafeString:
    """Horizontal bars, each under its label; a withheld value is shown as '*' or 'x' with
    no bar.

    Labels sit above their bars across the chart's whole width, so that the chart stays
    narrow: drawn at a phone's width its text is still about 13 px (issue 17). Bar lengths
    are the disclosed values: a chart says no more than its table."""
    width, line_h, bar_h, gap = BAR_WIDTH, 20, 18, 12
    bar_max = width - 60  # room for the value after the longest bar
    top = max([c.value or 0 for _, c in items if not c.suppressed] + [1])
    body, parts, y = [], [], 0
    for label, cell in items:
        lines = wrap(label)
        tspans = "".join(
            f'<tspan x="0" dy="{0 if i == 0 else line_h}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        body.append(f'<text x="0" y="{y + 15}" font-size="{TEXT}">{tspans}</text>')
        y += len(lines) * line_h + 4
        w = 0
        if not cell.suppressed and cell.value:
            w = max(1, round(bar_max * float(cell.value) / top))
            body.append(f'<rect x="0" y="{y}" width="{w}" height="{bar_h}" fill="{NHS_BLUE}"/>')
        body.append(
            f'<text x="{w + 6}" y="{y + 14}" font-size="{TEXT}">{escape(cell.display)}</text>'
        )
        parts.append(f"{label}: {cell.display}")
        y += bar_h + gap
    desc = (
        "; ".join(parts) + ". '*' means 1 to 7 and 'x' more than 7, withheld to protect reporters."
    )
    return _svg(width, max(y, 20), title, desc, body, n, kind="bar")


@dataclass(frozen=True)
class _Plot:
    """Where a month's count goes on the SPC chart."""

    y_max: float
    steps: int  # gaps between the first month and the last (at least 1)
    width: int = 720
    height: int = 300
    left: int = 50
    right: int = 45
    top: int = 20
    bottom: int = 50

    def x(self, i: int) -> float:
        return self.left + (self.width - self.left - self.right) * i / self.steps

    def y(self, v: float) -> float:
        return self.top + (self.height - self.top - self.bottom) * (1 - v / self.y_max)


def spc_chart(
    title: str, months: Sequence[str], cells: Sequence[Cell], chart: SpcChart, n: str = "spc"
) -> SafeString:
    """Monthly counts with mean and process limits; special-cause points coloured.

    Every coordinate comes from the disclosed months and the chart drawn from them."""
    values = [c.value for c in cells if c.value is not None and not c.suppressed]
    y_max = max([*values, chart.upper if chart.has_limits else 0.0, 1.0]) * 1.1
    plot = _Plot(y_max=y_max, steps=max(1, len(cells) - 1))
    body = [
        f'<line x1="{plot.left}" y1="{plot.y(0):.1f}" x2="{plot.width - plot.right}" '
        f'y2="{plot.y(0):.1f}" stroke="#425563"/>',
        *_spc_lines(plot, chart, drawn=bool(cells)),
        *_spc_ticks(plot),
        *_spc_path(plot, cells),
        *_spc_points(plot, months, cells, chart),
    ]
    return _svg(plot.width, plot.height, title, _spc_desc(cells, chart), body, n, kind="trend")


def _spc_lines(plot: _Plot, chart: SpcChart, *, drawn: bool) -> list[str]:
    """The mean (unless withheld) and, with enough months, the process limits."""
    lines = []
    for v, name, dash in (
        (chart.mean, "Mean", ""),
        (chart.upper, "Upper process limit", "6 4"),
        (chart.lower, "Lower process limit", "6 4"),
    ):
        if chart.has_limits or (name == "Mean" and drawn and not chart.withheld):
            lines.append(
                f'<line x1="{plot.left}" y1="{plot.y(v):.1f}" x2="{plot.width - plot.right}" '
                f'y2="{plot.y(v):.1f}" stroke="{GREY}" stroke-dasharray="{dash}">'
                f"<title>{name}: {v:.0f}</title></line>"
            )
    return lines


def _spc_ticks(plot: _Plot) -> list[str]:
    return [
        f'<text x="{plot.left - 6}" y="{plot.y(tick) + 4:.1f}" text-anchor="end" '
        f'font-size="{AXIS_TEXT}">{tick:.0f}</text>'
        for tick in (0, plot.y_max / 2, plot.y_max / 1.1)
    ]


def _spc_path(plot: _Plot, cells: Sequence[Cell]) -> list[str]:
    """The line through the months, broken where a month has no value to show."""
    segments: list[list[tuple[float, float]]] = [[]]
    for i, cell in enumerate(cells):
        if cell.value is None:
            segments.append([])
        else:
            segments[-1].append((plot.x(i), plot.y(float(cell.value))))
    polylines = []
    for segment in filter(None, segments):
        points = " ".join(f"{px:.1f},{py:.1f}" for px, py in segment)
        polylines.append(f'<polyline points="{points}" fill="none" stroke="{NHS_BLUE}"/>')
    return polylines


def _spc_points(
    plot: _Plot, months: Sequence[str], cells: Sequence[Cell], chart: SpcChart
) -> list[str]:
    """Each month: its point (special causes larger, coloured) or its withheld mark, and
    every third month's name under the axis (fewer when months are many, so that no two
    labels touch)."""
    plot_w = plot.width - plot.left - plot.right
    step = max(3, math.ceil(MONTH_LABEL * plot.steps / plot_w))
    body = []
    for i, (cell, month) in enumerate(zip(cells, months, strict=True)):
        point = chart.points[i] if i < len(chart.points) else None
        special, colour = False, NHS_BLUE
        if point is not None and point.special and chart.has_limits:
            special, colour = True, ORANGE if point.direction == "high" else PURPLE
        if cell.value is None or cell.suppressed:
            body.append(
                f'<text x="{plot.x(i):.1f}" y="{plot.y(0) - 4:.1f}" text-anchor="middle" '
                f'font-size="{AXIS_TEXT}">{escape(cell.display)}</text>'
            )
        else:
            body.append(
                f'<circle cx="{plot.x(i):.1f}" cy="{plot.y(float(cell.value)):.1f}" '
                f'r="{5 if special else 3}" '
                f'fill="{colour}"><title>{escape(month)}: {escape(cell.display)}'
                f"{' (special cause)' if special else ''}</title></circle>"
            )
        if i % step == 0:
            body.append(
                f'<text x="{plot.x(i):.1f}" y="{plot.height - plot.bottom + 20}" '
                f'text-anchor="middle" font-size="{AXIS_TEXT}">{escape(month)}</text>'
            )
    return body


EVERY_VALUE = " The table below gives every value."


def _spc_desc(cells: Sequence[Cell], chart: SpcChart) -> str:
    if chart.withheld or not cells:
        return f"{len(cells)} months; the mean and limits are withheld.{EVERY_VALUE}"
    limits = (
        f", process limits {chart.lower:.0f} to {chart.upper:.0f}; "
        f"{chart.special_count} month(s) show special-cause variation (orange higher, "
        "purple lower)."
        if chart.has_limits
        else "; too few months for process limits."
    )
    return f"{len(cells)} months. Mean {chart.mean:.0f}{limits}{EVERY_VALUE}"


def dashboard_charts(dashboard: Dashboard) -> dict[str, SafeString]:
    """Every chart the dashboard shows, by table key (the page and the Board pack alike)."""
    tables = dashboard.tables
    drawn = {
        key: bar_chart(t.title, t.chart_values(), key)
        for key, t in tables.items()
        if t.chart == "bar"
    }
    months = [f"{m:%b %Y}" for m in dashboard.trend_months]
    drawn["trend"] = spc_chart(
        tables["trend"].title, months, dashboard.trend_cells, dashboard.trend, "trend"
    )
    return drawn
