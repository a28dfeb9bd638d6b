"""The SPC trend chart as drawn: its accessible name, its points, its gaps."""

from __future__ import annotations

import re

from reports import spc
from reports.charts import bar_chart, spc_chart
from reports.disclosure import Cell

MONTHS = [f"M{i}" for i in range(14)]


def _trend(values: list[int | None]) -> str:
    cells = [Cell(None, suppressed=True) if v is None else Cell(v) for v in values]
    # as the dashboard charts them: a withheld (*) month counted as a stand-in value
    chart = spc.xmr([4.0 if v is None else float(v) for v in values])
    return str(spc_chart("Concerns each month", MONTHS[: len(values)], cells, chart, "trend"))


def test_the_trend_charts_name_and_description_are_its_own():
    # Given a page with the trend chart and a bar chart, each names its own title and desc
    page = _trend([3, 4, 5, 4, 3, 4, 5, 6, 4, 3, 4, 5, 30]) + str(
        bar_chart("By route", [("Open", Cell(4))], "route")
    )
    ids = re.findall(r'id="([^"]+)"', page)
    assert ids == ["chart-title-trend", "chart-desc-trend", "chart-title-route", "chart-desc-route"]
    assert 'aria-labelledby="chart-title-trend chart-desc-trend"' in page


def test_a_special_cause_month_is_marked_and_a_withheld_month_breaks_the_line():
    # Given 13 months, one far above the rest, and one month withheld
    svg = _trend([3, 4, 5, 4, 3, 4, None, 6, 4, 3, 4, 5, 30])
    # then the high month is drawn larger and orange, the withheld month as its mark,
    # and the line is drawn in two pieces around the gap
    assert svg.count('r="5" fill="#ed8b00"') == 1
    assert "M12: 30 (special cause)" in svg
    assert svg.count("<polyline") == 2
    assert "process limits" in svg and "special-cause variation" in svg
