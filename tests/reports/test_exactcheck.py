"""The audit's exact check (``reports.exactcheck``): an integer program over every sum at
once finds what propagation, one sum at a time, misses; and says "free" only with proof."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.bounds import Sweep
from reports.disclosure import Disclosure
from reports.exactcheck import Unchecked, _first_by_windows, _solves, pinned
from reports.protection import protect

RULE = Disclosure(suppress_up_to=7, round_to=5)


def test_three_sums_around_three_counts_pin_them_though_each_sum_alone_does_not():
    # Given x + y = 6, x + z = 6 and y + z = 6 (cells 3, 4, 5 known exactly), x, y, z in 1..7
    lo = np.array([1, 1, 1, 6, 6, 6])
    hi = np.array([7, 7, 7, 6, 6, 6])
    rels = [(3, (0, 1)), (4, (0, 2)), (5, (1, 2))]
    # When each sum is read on its own, every count keeps 1 to 5
    plo, phi = lo.copy(), hi.copy()
    assert Sweep(rels, 6).propagate(plo, phi)
    assert plo[:3].tolist() == [1, 1, 1] and phi[:3].tolist() == [5, 5, 5]
    # Then the three together leave only 3 each (x + y + z = 9): an integer program says so
    assert pinned(lo, hi, rels, [0, 1, 2]) == [0, 1, 2]


def test_a_count_two_data_sets_can_tell_apart_is_free():
    # Given x + y = 6 alone: x can be 1 to 5
    lo, hi = np.array([1, 1, 6]), np.array([7, 7, 6])
    assert pinned(lo, hi, [(2, (0, 1))], [0, 1]) == []


def test_parity_pins_what_intervals_cannot():
    # Given 2x = x + x written as two sums through a copy: t = x + c, c = x, t in {7, 8}
    # (an interval of two values), x in 1..7: only t = 8 is even, so x = 4
    lo, hi = np.array([1, 1, 7]), np.array([7, 7, 8])
    rels = [(2, (0, 1)), (1, (0,))]
    assert pinned(lo, hi, rels, [0]) == [0]


small = st.integers(0, 9)


@settings(max_examples=40, deadline=None)
@given(st.lists(small, min_size=4, max_size=4), st.lists(small, min_size=4, max_size=4))
def test_after_the_audit_no_star_is_pinned_by_brute_force(left, right):
    # Given a 2 x 4 table (two organisations by four routes) with its row totals, column
    # totals and grand total, disclosed and audited
    exact, relations = {}, []
    for r, row in enumerate((left, right)):
        for c, n in enumerate(row):
            exact[("cell", r, c)] = n
        exact[("row", r)] = sum(row)
        relations.append((("row", r), tuple(("cell", r, c) for c in range(4))))
    for c in range(4):
        exact[("col", c)] = left[c] + right[c]
        relations.append((("col", c), (("cell", 0, c), ("cell", 1, c))))
    exact["all"] = sum(left) + sum(right)
    relations.append(("all", (("row", 0), ("row", 1))))
    relations.append(("all", tuple(("col", c) for c in range(4))))
    cells = protect(exact, relations, RULE)

    # When a reader tries every table of counts that fits every published figure (cells up
    # to 20: more than any cell here holds), row by row
    def allowed(key, top):
        if cells[key].withheld:
            return set(range(1 if exact[key] <= 7 else 8, top + 1))
        return {n for n in range(top + 1) if RULE.count(n).display == cells[key].display}

    box = {("row", r): allowed(("row", r), 80) for r in range(2)}
    box |= {("col", c): allowed(("col", c), 40) for c in range(4)}
    box["all"] = allowed("all", 160)
    rows = [
        [
            v
            for v in itertools.product(*(sorted(allowed(("cell", r, c), 20)) for c in range(4)))
            if sum(v) in box[("row", r)]
        ]
        for r in range(2)
    ]
    seen: dict = {key: set() for key in cells if 1 <= exact[key] <= 7}
    for top, bottom in itertools.product(*rows):
        cols = [top[c] + bottom[c] for c in range(4)]
        if not all(cols[c] in box[("col", c)] for c in range(4)):
            continue
        if sum(top) + sum(bottom) not in box["all"]:
            continue
        known = {("cell", r, c): (top, bottom)[r][c] for r in range(2) for c in range(4)}
        known |= {("row", 0): sum(top), ("row", 1): sum(bottom), "all": sum(top) + sum(bottom)}
        known |= {("col", c): cols[c] for c in range(4)}
        for key in seen:
            seen[key].add(known[key])
    # Then every small count can be at least two values
    for key, values in seen.items():
        assert len(values) >= 2, (key, exact[key], cells)


def _breakdowns(fewest: int, most: int) -> st.SearchStrategy[list[list[int]]]:
    """Organisations' counts of four parts each."""
    part = st.integers(0, 6)
    return st.lists(st.lists(part, min_size=4, max_size=4), min_size=fewest, max_size=most)


def _block_table(orgs, data):
    """Organisations' breakdowns (each its own block: four parts and their total) and the
    cells of them all together (shared), each in a narrow box around its count."""
    exact: list[int] = []
    blocks: list[int] = []

    def cell(n: int, block: int) -> int:
        exact.append(n)
        blocks.append(block)
        return len(exact) - 1

    rels = []
    parts = []
    for o, row in enumerate(orgs):
        mine = [cell(n, o) for n in row]
        rels.append((cell(sum(row), o), tuple(mine)))
        parts.append(mine)
    together = [cell(sum(row[j] for row in orgs), -1) for j in range(4)]
    for j, c in enumerate(together):
        rels.append((c, tuple(mine[j] for mine in parts)))
    rels.append((cell(sum(map(sum, orgs)), -1), tuple(together)))
    slack = st.integers(0, 2)
    lo = np.array([max(0, n - data.draw(slack)) for n in exact])
    hi = np.array([n + data.draw(slack) for n in exact])
    return lo, hi, rels, np.array(blocks), np.array(exact)


@settings(max_examples=80, deadline=None)
@given(_breakdowns(2, 7), st.data())
def test_asking_block_by_block_gives_the_same_answer_as_the_whole_program(orgs, data):
    # Given organisations' breakdowns and the cells of them all together, in narrow boxes
    # (narrow, so that many counts are pinned: the answers must agree on those); more than
    # three organisations are pushed a few at a time (WINDOW), fewer all at once
    lo, hi, rels, blocks, _ = _block_table(orgs, data)
    small = list(range(len(lo)))
    # When the program is asked count by count, and block by block first
    whole = pinned(lo, hi, rels, small)
    by_block = pinned(lo, hi, rels, small, blocks)
    # Then the answer is the same (a block-wise answer is a solution of the whole)
    assert by_block == whole


@settings(max_examples=60, deadline=None)
@given(_breakdowns(4, 8), st.data())
def test_a_family_too_large_to_ask_as_a_whole_is_answered_on_the_safe_side(orgs, data):
    # Given organisations' breakdowns and the cells of them all together, in narrow boxes
    lo, hi, rels, blocks, _ = _block_table(orgs, data)
    small = list(range(len(lo)))
    # When the program asks only a few organisations at a time (no question of the whole)
    few = pinned(lo, hi, rels, small, blocks, prove=False)
    # Then every count the whole program pins is among those it treats as pinned (each
    # count it leaves free has two data sets to show for it), never fewer
    assert set(few) >= set(pinned(lo, hi, rels, small))


@settings(max_examples=40, deadline=None)
@given(_breakdowns(4, 8), st.data())
def test_the_first_solution_found_a_few_organisations_at_a_time_keeps_every_sum(orgs, data):
    # Given a family of four or more organisations (its counts are one solution: there is
    # one to find)
    lo, hi, rels, blocks, exact = _block_table(orgs, data)
    assert _solves(exact, lo, hi, rels)
    owners = sorted(set(blocks.tolist()) - {-1})
    # When its first solution is found a few organisations at a time
    first = _first_by_windows(lo, hi, rels, blocks, owners)
    # Then it is found, and it is a data set every figure allows: within every box, every
    # sum kept
    assert first is not None
    assert ((first >= lo) & (first <= hi)).all()
    assert all(first[p] == first[list(k)].sum() for p, k in rels)


def test_a_family_with_no_first_solution_found_so_is_not_checked(monkeypatch):
    # Given a family too large to ask as a whole, whose first solution is not found a few
    # organisations at a time
    from reports import exactcheck

    monkeypatch.setattr(exactcheck, "_first_by_windows", lambda *args: None)
    orgs = [[1, 2, 0, 3], [2, 2, 1, 0], [0, 1, 1, 1], [3, 0, 2, 2]]
    exact: list[int] = []
    blocks: list[int] = []
    rels = []
    for o, row in enumerate(orgs):
        start = len(exact)
        exact += [*row, sum(row)]
        blocks += [o] * 5
        rels.append((start + 4, tuple(range(start, start + 4))))
    lo, hi = np.maximum(np.array(exact) - 1, 0), np.array(exact) + 1
    # Then the program says so (the worker then leaves it to propagation), not "free"
    with pytest.raises(Unchecked):
        pinned(lo, hi, rels, list(range(len(exact))), np.array(blocks), prove=False)
