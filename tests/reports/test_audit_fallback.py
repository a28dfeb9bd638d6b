"""The auditor's fallback: a small count that no rounded figure can protect (pinned by other
`*`s and zeros alone) is withheld itself, so ``protect`` always returns a table in which
every count of 1 to 7 keeps two possible values; and the audit is bounded and repeatable."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.disclosure import Disclosure
from reports.protection import (
    MIN_CANDIDATES,
    Box,
    FiguresInconsistent,
    box_of,
    hidden_box,
    propagate,
    protect,
)

RULE = Disclosure(suppress_up_to=7, round_to=5)


def _reader(cells, exact):
    """What a reader knows of each cell, as strongly as the auditor assumes: an ``x`` over a
    rounded figure is known to be above 7, one over a `*` only not to be 0."""
    return {
        key: hidden_box(RULE) if cell.withheld and exact.get(key, 0) <= 7 else box_of(cell, RULE)
        for key, cell in cells.items()
    }


def _assert_safe(cells, exact, relations):
    boxes = propagate(_reader(cells, exact), relations)
    for key, box in boxes.items():
        n = exact.get(key, 0)
        assert box.lo <= n <= box.hi, (key, n, box)  # every figure tells the truth
        if 1 <= n <= 7:  # shown `*` or withheld `x`: still two values or more
            assert box.hi - box.lo + 1 >= MIN_CANDIDATES, (key, n, box, cells[key])


def test_a_total_of_seven_parts_of_one_is_published_with_the_total_withheld():
    # Given a total of 7 over seven parts of 1: shown as `*` over seven `*`, the total can
    # only be 7 and each part 1, and there is no rounded figure to withhold instead
    parts = {f"p{i}": 1 for i in range(7)}
    exact = {"total": 7, **parts}
    relations = [("total", tuple(parts))]
    # When audited
    cells = protect(exact, relations, RULE)
    # Then the total is withheld (x) and the parts stay `*`: the reader now knows only that
    # the total is at least 7, and each part anything from 1 to 7
    assert cells["total"].display == "x"
    assert {cells[k].display for k in parts} == {"*"}
    boxes = propagate(_reader(cells, exact), relations)
    assert boxes["p0"] == Box(1, 7)
    _assert_safe(cells, exact, relations)


def test_a_year_of_seven_months_of_one_is_published_safely():
    # Given a year of 7 over its 4 quarters and 12 months, seven months of 1 each
    months = {f"m{i}": 1 if i < 7 else 0 for i in range(12)}
    quarters = {f"q{n}": sum(months[f"m{i}"] for i in range(3 * n, 3 * n + 3)) for n in range(4)}
    exact = {"year": 7, **quarters, **months}
    relations = [("year", tuple(quarters))]
    relations += [(f"q{n}", tuple(f"m{i}" for i in range(3 * n, 3 * n + 3))) for n in range(4)]
    cells = protect(exact, relations, RULE)
    assert any(c.withheld for c in cells.values())
    _assert_safe(cells, exact, relations)


def test_broken_sums_are_still_refused():
    with pytest.raises(FiguresInconsistent):
        protect({"total": 5, "a": 0, "b": 0}, [("total", ("a", "b"))], RULE)


small = st.one_of(st.just(0), st.integers(1, 3), st.integers(0, 12))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(small, min_size=2, max_size=8), min_size=1, max_size=5))
def test_any_two_way_table_is_published_safely(rows):
    # Given a table (rows by columns) with row totals, column totals and a grand total: the
    # shape of a breakdown over months or organisations
    width = max(len(r) for r in rows)
    rows = [r + [0] * (width - len(r)) for r in rows]
    exact = {("c", i, j): n for i, r in enumerate(rows) for j, n in enumerate(r)}
    exact |= {("r", i): sum(r) for i, r in enumerate(rows)}
    exact |= {("k", j): sum(r[j] for r in rows) for j in range(width)}
    exact["all"] = sum(map(sum, rows))
    relations = [(("r", i), tuple(("c", i, j) for j in range(width))) for i in range(len(rows))]
    relations += [(("k", j), tuple(("c", i, j) for i in range(len(rows)))) for j in range(width)]
    relations += [("all", tuple(("r", i) for i in range(len(rows))))]
    relations += [("all", tuple(("k", j) for j in range(width)))]
    # When audited, then no small count is pinned, and the answer is the same every time
    cells = protect(exact, relations, RULE)
    _assert_safe(cells, exact, relations)
    assert protect(exact, relations, RULE) == cells
