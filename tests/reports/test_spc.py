"""SPC: XmR limits and the Making Data Count special-cause rules."""

from __future__ import annotations

import pytest

from reports import spc


def rules(chart):
    return [tuple(r.split(":")[0] for r in p.rules) for p in chart.points]


def test_xmr_mean_and_limits_from_moving_range():
    # Given values whose moving ranges are all 2, when charted
    chart = spc.xmr([10, 12, 10, 12, 10, 12])
    # then the mean is 11 and the limits are 11 ± 2.66 x 2
    assert chart.mean == pytest.approx(11)
    assert chart.upper == pytest.approx(11 + 2.66 * 2)
    assert chart.lower == pytest.approx(11 - 2.66 * 2)
    assert chart.special_count == 0


def test_lower_limit_never_below_zero():
    assert spc.xmr([0, 5, 0, 5, 0, 5]).lower == 0


def test_point_beyond_upper_limit_is_special_cause_high():
    values = [10, 11, 10, 12, 11, 10, 11, 10, 12, 11, 40, 11]
    chart = spc.xmr(values)
    assert chart.points[10].rules[0] == "outside:high"
    assert chart.points[10].direction == "high"
    assert not any("outside" in r for i, r in enumerate(rules(chart)) if i != 10)
    # the outlier lifts the mean above the ten before it: a run below the mean (a shift)
    assert all("shift" in r for r in rules(chart)[:10])


def test_shift_of_seven_on_one_side_of_the_mean():
    values = [10, 11, 9, 10, 11, 9, 14, 15, 14, 15, 14, 15, 14]
    chart = spc.xmr(values)
    assert all("shift" in r for r in rules(chart)[6:])
    assert all("shift" not in r for r in rules(chart)[:6])


def test_six_in_a_row_is_not_a_shift():
    values = [10, 11, 9, 10, 11, 9, 14, 15, 14, 15, 14, 15, 9]
    assert all("shift" not in r for r in rules(spc.xmr(values)))


def test_trend_of_seven_rising():
    values = [10, 10, 10, 11, 12, 13, 14, 15, 16, 17, 10, 10]
    chart = spc.xmr(values)
    flagged = [i for i, r in enumerate(rules(chart)) if "trend" in r]
    assert flagged == [2, 3, 4, 5, 6, 7, 8, 9]  # 10 → 17: eight points, seven rises


def test_two_of_three_near_a_limit():
    # two of three points beyond two sigma but inside the limit, on the same side
    values = [10, 10.5] * 10 + [11.8, 10.2, 11.8]
    chart = spc.xmr(values)
    assert chart.mean + 2 * chart.sigma < 11.8 < chart.upper
    flagged = {i: r for i, r in enumerate(rules(chart)) if r}
    assert flagged == {20: ("near_limit",), 22: ("near_limit",)}


def test_c_chart_limits():
    chart = spc.c_chart([4, 4, 4, 4])
    assert chart.upper == pytest.approx(4 + 3 * 2)
    assert chart.lower == 0


def test_flat_series_has_no_special_cause():
    assert spc.xmr([5] * 24).special_count == 0


def test_limits_are_only_drawn_with_enough_points():
    assert not spc.xmr([1, 2, 3]).has_limits
    assert spc.xmr([1] * 12).has_limits
