"""Secondary suppression: no `*` may be worked out from the figures published around it.

The disclosure rule (1 to 7 → `*`, others rounded to the nearest 5) tells a reader that each
published count lies in a box: 0 exactly, 1 to 7, or the five values that round to it. Many
counts are tied by sums a reader knows: a breakdown adds up to its total, months add up to
their quarter and year, organisations add up to the group. Intersecting those boxes can pin
a `*`: a total of 20 over parts `*`, 10 and 15 leaves only 1 (22 - 8 - 13).

``protect`` is the auditor. It narrows every box by each sum it takes part in (bounds
propagation, repeated until nothing changes), and wherever a `*` would be left with fewer
than ``MIN_CANDIDATES`` possible values it withholds one more figure of that sum (shown as
``x``: the smallest rounded one, ties by key), then audits again. Every choice is made from
the primary disclosed boxes alone, never from exact counts, so two data sets with the same
disclosed figures get the same withheld cells. A withheld cell is known only to be above 7.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, MutableSequence, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from reports.disclosure import Cell, Disclosure

MIN_CANDIDATES = 2  # a `*` must keep at least this many possible values in 1 to 7
UNBOUNDED = 10**9  # the top of a withheld cell's box (a finite number keeps sums simple)

Key = Hashable
Relation = tuple[Key, tuple[Key, ...]]  # parent = sum of children


class DisclosureUnsafe(Exception):
    """The report cannot be published safely: nothing is shown rather than a pinned `*`."""


class FiguresInconsistent(DisclosureUnsafe, ValueError):
    """The counts break a sum they must keep (a rollup bug): nothing is published unaudited."""


class NothingToWithhold(DisclosureUnsafe):
    """A `*` is pinned by sums of other `*`s and zeros alone: no rounded figure to withhold."""


@dataclass(frozen=True)
class Box:
    lo: int
    hi: int


@cache
def _rounded_box(suppress_up_to: int, round_to: int, shown: int) -> Box:
    rule = Disclosure(suppress_up_to=suppress_up_to, round_to=round_to)
    span = range(suppress_up_to + 1, shown + round_to + suppress_up_to + 2)
    values = [n for n in span if rule.rounded(n) == shown]
    return Box(min(values), max(values))


def box_of(cell: Cell, rule: Disclosure) -> Box:
    """What a reader knows of a count from its published cell alone."""
    if cell.withheld:
        return Box(rule.suppress_up_to + 1, UNBOUNDED)
    if cell.suppressed:
        return Box(1, rule.suppress_up_to)
    if not cell.value:
        return Box(0, 0)
    return _rounded_box(rule.suppress_up_to, rule.round_to, int(cell.value))


def propagate(boxes: dict[Key, Box], relations: Sequence[Relation]) -> dict[Key, Box]:
    """Narrow every box by every sum until nothing changes (a worklist over the sums)."""
    keys = list(boxes)
    index = {key: i for i, key in enumerate(keys)}
    rels = [(index[p], tuple(index[c] for c in cs)) for p, cs in relations]
    lo = [b.lo for b in boxes.values()]
    hi = [b.hi for b in boxes.values()]
    _propagate(lo, hi, rels, _members(len(keys), rels), keys)
    return {key: Box(lo[i], hi[i]) for i, key in enumerate(keys)}


IndexRelation = tuple[int, tuple[int, ...]]


def _members(n: int, rels: Sequence[IndexRelation]) -> list[list[int]]:
    member_of: list[list[int]] = [[] for _ in range(n)]
    for i, (parent, children) in enumerate(rels):
        member_of[parent].append(i)
        for c in children:
            member_of[c].append(i)
    return member_of


def _propagate(
    lo: MutableSequence[int] | dict[int, int],
    hi: MutableSequence[int] | dict[int, int],
    rels: Sequence[IndexRelation],
    member_of: Sequence[Sequence[int]] | Mapping[int, Sequence[int]],
    keys: Sequence[Key],
    pending: list[int] | None = None,
) -> None:
    """``propagate`` on integer-indexed bounds, in place. The result is the greatest box
    every sum allows (the same whatever order the sums are visited in)."""
    if pending is None:
        pending = list(range(len(rels)))
    queued = bytearray(len(rels))
    for i in pending:
        queued[i] = 1
    pop, push = pending.pop, pending.append
    while pending:
        i = pop()
        queued[i] = 0
        parent, children = rels[i]
        lo_sum = hi_sum = 0
        for c in children:
            lo_sum += lo[c]
            hi_sum += hi[c]
        p_lo, p_hi = lo[parent], hi[parent]
        changed = []
        if lo_sum > p_lo or hi_sum < p_hi:
            if lo_sum > p_lo:
                p_lo = lo_sum
            if hi_sum < p_hi:
                p_hi = hi_sum
            if p_lo > p_hi:
                raise FiguresInconsistent(
                    f"{keys[parent]!r} cannot be the sum of {[keys[c] for c in children]!r}"
                )
            lo[parent], hi[parent] = p_lo, p_hi
            changed.append(parent)
        slack_lo = hi_sum - p_lo  # a child's lo rises only if its width exceeds this
        slack_hi = p_hi - lo_sum  # a child's hi falls only if its width exceeds this
        slack = slack_lo if slack_lo < slack_hi else slack_hi
        for c in children:
            b_lo, b_hi = lo[c], hi[c]
            if b_hi - b_lo <= slack:
                continue
            new_lo = p_lo - (hi_sum - b_hi)
            new_hi = p_hi - (lo_sum - b_lo)
            if new_lo > b_lo or new_hi < b_hi:
                if new_lo < b_lo:
                    new_lo = b_lo
                if new_hi > b_hi:
                    new_hi = b_hi
                if new_lo > new_hi:
                    raise FiguresInconsistent(f"{keys[c]!r} cannot be a part of {keys[parent]!r}")
                lo[c], hi[c] = new_lo, new_hi
                changed.append(c)
        for key in changed:
            for j in member_of[key]:
                if not queued[j]:
                    queued[j] = 1
                    push(j)


def candidates(box: Box, rule: Disclosure) -> int:
    """How many values in 1 to 7 a box still allows."""
    return max(0, min(box.hi, rule.suppress_up_to) - max(box.lo, 1) + 1)


def protect(
    exact: Mapping[Key, int],
    relations: Sequence[Relation],
    rule: Disclosure,
    *,
    priority: Callable[[Key], tuple] = lambda key: (),
) -> dict[Key, Cell]:
    """Every count disclosed, with secondary suppression until no `*` can be pinned.

    ``priority`` orders the figures that could be withheld (lowest first): e.g. a part of a
    breakdown before a total, a month before a year."""
    relations = [(p, cs) for p, cs in relations if cs]
    cells = _primary(exact, relations, rule)
    audit = _Audit(cells, relations, rule, priority)
    for i in audit.run():
        key = audit.keys[i]
        cells[key] = _withheld(cells[key])
    return cells


def _primary(exact: Mapping[Key, int], relations: Sequence[Relation], rule) -> dict[Key, Cell]:
    cells = {key: rule.count(n) for key, n in exact.items()}
    zero = rule.count(0)
    for parent, children in relations:
        if parent not in cells:
            cells[parent] = zero
        for key in children:
            if key not in cells:
                cells[key] = zero
    return cells


def withhold(
    exact: Mapping[Key, int],
    relations: Sequence[Relation],
    rule: Disclosure,
    *,
    withheld: Sequence[Key],
) -> dict[Key, Cell] | None:
    """``protect``'s answer rebuilt from the cells an earlier audit withheld (e.g. one kept
    in a shared cache), or None where those could not be its answer (a cell that is not
    in the family or is not a rounded figure above 0)."""
    relations = [(p, cs) for p, cs in relations if cs]
    cells = _primary(exact, relations, rule)
    for key in withheld:
        cell = cells.get(key)
        if cell is None or cell.suppressed or not cell.value:
            return None
        cells[key] = _withheld(cell)
    return cells


class _Audit:
    """``protect``'s rounds on integer-indexed cells and sums (the keys are looked at only
    to order them, once). Each round audits the whole family from the primary boxes and
    the cells withheld so far; the weak `*` are taken in the order of their keys' repr.
    Every choice is made from the primary disclosed cells alone."""

    def __init__(self, cells: dict[Key, Cell], relations, rule: Disclosure, priority) -> None:
        self.keys = keys = list(cells)
        index = {key: i for i, key in enumerate(keys)}
        self.rels = [(index[p], tuple(index[c] for c in cs)) for p, cs in relations]
        self.member_of = _members(len(keys), self.rels)
        self.rule = rule
        memo: dict[Cell, Box] = {}  # most cells are the same few (0, `*`)
        for cell in cells.values():
            if cell not in memo:
                memo[cell] = box_of(cell, rule)
        boxes = [memo[cell] for cell in cells.values()]
        self.base_lo = np.array([b.lo for b in boxes], dtype=np.int64)
        self.base_hi = np.array([b.hi for b in boxes], dtype=np.int64)
        self.withheld_lo = rule.suppress_up_to + 1
        self.star = np.array([c.suppressed and not c.withheld for c in cells.values()], dtype=bool)
        # what may be withheld: a rounded figure that is not 0 (and not withheld yet)
        self.open = [not c.suppressed and bool(c.value) for c in cells.values()]
        self.rank = [
            (priority(key), cells[key].value, repr(key)) if self.open[i] else ()
            for i, key in enumerate(keys)
        ]
        # weak `*` are taken in the order of their keys' repr: each `*`'s place in it
        stars = np.flatnonzero(self.star).tolist()
        self.place = np.zeros(len(keys), dtype=np.int64)
        self.place[sorted(stars, key=lambda i: repr(keys[i]))] = np.arange(len(stars))
        self.withheld: set[int] = set()
        self.sweep = _Sweep(self.rels, len(keys))

    def _start(self) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.base_lo.copy(), self.base_hi.copy()
        if self.withheld:
            at = list(self.withheld)
            lo[at], hi[at] = self.withheld_lo, UNBOUNDED
        return lo, hi

    def _candidates(self, lo: int, hi: int) -> int:
        return max(0, min(hi, self.rule.suppress_up_to) - max(lo, 1) + 1)

    def run(self) -> set[int]:
        while True:
            self.lo, self.hi = self._start()  # the boxes before narrowing, for trials
            lo, hi = self.sweep.propagate(self.lo.copy(), self.hi.copy(), self.keys)
            top = np.minimum(hi, self.rule.suppress_up_to) - np.maximum(lo, 1) + 1
            pinned = np.flatnonzero(self.star & (top < MIN_CANDIDATES))
            weak = pinned[np.argsort(self.place[pinned])].tolist()
            if not weak:
                return self.withheld
            chosen: set[int] = set()
            for i in weak:
                options = self._options(i)
                if not options:  # seen on some inputs: refuse to publish, never a 500
                    raise NothingToWithhold("secondary suppression found nothing to withhold")
                if not chosen.isdisjoint(options):
                    continue  # already freed this round, perhaps: the next audit says
                # The first option (in priority order) that frees this `*` within its own
                # sums; else the first. The next round's full audit checks either way.
                trials = (o for o in options[:TRIALS] if self._frees(i, o))
                chosen.add(next(trials, options[0]))
            self.withheld |= chosen
            for i in chosen:
                self.open[i] = False

    def _options(self, weak: int) -> list[int]:
        """The rounded figures of the sums the weak `*` is in (or, failing any, of the sums
        next to those: the pin came along a chain), in the order they would be withheld."""
        rels, member_of, open_, rank = self.rels, self.member_of, self.open, self.rank
        seen, frontier = {weak}, [weak]
        while frontier:
            found = [rels[r] for k in frontier for r in member_of[k]]
            members = {k for parent, children in found for k in (parent, *children)}
            options = [k for k in members if open_[k]]
            if options:
                parents = {parent for parent, _ in found}
                return sorted(
                    options, key=lambda k: (rank[k][0], k in parents, rank[k][1], rank[k][2])
                )
            frontier = [k for k in members if k not in seen]
            seen.update(frontier)
        return []

    def _frees(self, weak: int, option: int) -> bool:
        """Would withholding ``option`` leave the `*` at ``weak`` two values or more, judged
        by the sums they are in alone (a quick guide; the full audit decides)."""
        mine = self.member_of[weak]
        local = [r for r in mine if _holds(self.rels[r], option)] or mine
        rels = [self.rels[r] for r in local]
        member_of: dict[int, list[int]] = defaultdict(list)
        for j, (parent, children) in enumerate(rels):
            member_of[parent].append(j)
            for c in children:
                member_of[c].append(j)
        lo = {k: int(self.lo[k]) for k in member_of}
        hi = {k: int(self.hi[k]) for k in member_of}
        lo[option], hi[option] = self.withheld_lo, UNBOUNDED
        _propagate(lo, hi, rels, member_of, self.keys)
        return self._candidates(lo[weak], hi[weak]) >= MIN_CANDIDATES


class _Sweep:
    """The whole family's propagation as array operations: every sum narrows every box at
    once, again until nothing changes. That reaches the same boxes as ``_propagate``
    (each narrowing is monotone and keeps what every sum allows, so both stop at the
    greatest boxes no sum can narrow), in a few dozen sweeps instead of a Python loop
    over tens of thousands of sums."""

    def __init__(self, rels: Sequence[IndexRelation], n: int) -> None:
        sizes = np.array([len(children) for _, children in rels], dtype=np.int64)
        self.parent = np.array([parent for parent, _ in rels], dtype=np.int64)
        self.child = np.fromiter(
            (c for _, children in rels for c in children), dtype=np.int64, count=int(sizes.sum())
        )
        self.child_rel = np.repeat(np.arange(len(rels), dtype=np.int64), sizes)
        self.starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        # every bound a sum implies, grouped by the cell it bounds
        cells = np.concatenate((self.parent, self.child))
        self.by_cell = np.argsort(cells, kind="stable")
        ordered = cells[self.by_cell]
        first = np.ones(len(ordered), dtype=bool)
        first[1:] = ordered[1:] != ordered[:-1]
        self.groups = np.flatnonzero(first)
        self.cells = ordered[self.groups]

    def propagate(
        self, lo_a: np.ndarray, hi_a: np.ndarray, keys: Sequence[Key]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Narrowed in place and returned."""
        if not len(self.parent):
            return lo_a, hi_a
        parent, child, rel, cells = self.parent, self.child, self.child_rel, self.cells
        while True:
            lo_sum = np.add.reduceat(lo_a[child], self.starts)
            hi_sum = np.add.reduceat(hi_a[child], self.starts)
            implied_lo = np.concatenate((lo_sum, lo_a[parent][rel] - hi_sum[rel] + hi_a[child]))[
                self.by_cell
            ]
            implied_hi = np.concatenate((hi_sum, hi_a[parent][rel] - lo_sum[rel] + lo_a[child]))[
                self.by_cell
            ]
            new_lo = np.maximum(lo_a[cells], np.maximum.reduceat(implied_lo, self.groups))
            new_hi = np.minimum(hi_a[cells], np.minimum.reduceat(implied_hi, self.groups))
            empty = np.flatnonzero(new_lo > new_hi)
            if len(empty):
                key = keys[int(cells[empty[0]])]
                raise FiguresInconsistent(f"{key!r} cannot keep every sum it is in")
            if np.array_equal(new_lo, lo_a[cells]) and np.array_equal(new_hi, hi_a[cells]):
                return lo_a, hi_a
            lo_a[cells], hi_a[cells] = new_lo, new_hi


def _holds(relation: IndexRelation, key: int) -> bool:
    return relation[0] == key or key in relation[1]


TRIALS = 6  # options tried one at a time before settling for the first


def _withheld(cell: Cell) -> Cell:
    return Cell(None, suppressed=True, withheld=True, unit=cell.unit)
