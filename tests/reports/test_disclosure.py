"""The NHS Digital disclosure rule, as properties that must hold for every input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.disclosure import NOT_APPLICABLE, Cell, Disclosure, histogram_median

RULE = Disclosure(suppress_up_to=7, round_to=5)
counts = st.integers(min_value=0, max_value=10**7)


@given(counts)
def test_no_count_is_ever_shown_as_1_to_7(n):
    cell = RULE.count(n)
    assert cell.value is None or not 1 <= cell.value <= 7
    assert cell.display not in {str(i) for i in range(1, 8)}


@given(counts)
def test_zero_stays_zero_small_is_starred_others_rounded_to_nearest_5(n):
    cell = RULE.count(n)
    if n == 0:
        assert (cell.value, cell.display) == (0, "0")
    elif n <= 7:
        assert cell.suppressed and cell.value is None and cell.display == "*"
    else:
        assert not cell.suppressed
        assert cell.value % 5 == 0
        assert abs(cell.value - n) <= 2  # nearest multiple of 5 (halves do not occur)


@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=30))
def test_totals_come_from_unrounded_parts(parts):
    total = RULE.total(parts)
    assert total == RULE.count(sum(parts))
    # e.g. 3 + 3 + 3 = 9 is shown as 10, although each part is '*'


def test_total_of_small_parts_is_not_a_sum_of_rounded_cells():
    assert RULE.total([3, 3, 3]).display == "10"
    assert RULE.total([12, 12]).display == "25"  # 24, not 10 + 10


@given(st.integers(min_value=0, max_value=10**5), st.integers(min_value=0, max_value=10**5))
def test_percentages_resting_on_1_to_7_cases_are_suppressed(numerator, extra):
    denominator = numerator + extra
    cell = RULE.rate(numerator, denominator)
    if denominator == 0:
        assert cell.value is None and not cell.suppressed
    elif 1 <= numerator <= 7 or 1 <= denominator <= 7:
        assert cell.suppressed and cell.value is None
    else:
        assert cell.value == int(100 * numerator / denominator + 0.5)


@given(st.dictionaries(st.integers(0, 400), st.integers(0, 50), max_size=20))
def test_medians_resting_on_1_to_7_cases_are_suppressed(histogram):
    n = sum(histogram.values())
    cell = RULE.median(histogram)
    if n == 0:
        assert cell.value is None and not cell.suppressed
    elif n <= 7:
        assert cell.suppressed
    else:
        values = sorted(v for v, k in histogram.items() for _ in range(k))
        middle = (values[(n - 1) // 2] + values[n // 2]) / 2
        assert cell.value == middle


@given(
    st.integers(min_value=1, max_value=20),
    st.integers(min_value=1, max_value=50),
    counts,
)
def test_any_policy_never_shows_a_suppressible_count(suppress_up_to, round_to, n):
    rule = Disclosure(suppress_up_to=suppress_up_to, round_to=round_to)
    cell = rule.count(n)
    assert cell.value is None or cell.value == 0 or cell.value > suppress_up_to


def test_policy_comes_from_settings(settings):
    from config.rules import DisclosurePolicy

    settings.SPEAKUP_DISCLOSURE = DisclosurePolicy(suppress_up_to=10, round_to=10)
    rule = Disclosure.current()
    assert rule.count(9).display == "*"
    assert rule.count(26).display == "30"
    # 14 rounds to 10, which would read as a suppressible count: it is shown as 20
    assert rule.count(14).display == "20"


def test_median_of_even_count_is_mean_of_middle_two():
    assert histogram_median({1: 4, 3: 4}) == 2.0
    assert RULE.median({1: 4, 4: 4}).display == "2.5"


@pytest.mark.parametrize(
    ("n", "shown"),
    [(0, "0"), (1, "*"), (7, "*"), (8, "10"), (12, "10"), (13, "15"), (1234, "1,235")],
)
def test_examples(n, shown):
    assert RULE.count(n).display == shown


def test_cell_text():
    assert Cell(None, suppressed=True, unit="%").display == "*"
    assert Cell(None, unit="%").display == NOT_APPLICABLE
    assert Cell(45, unit="%").display == "45%"
