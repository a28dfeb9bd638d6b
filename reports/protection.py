"""Secondary suppression: no `*` may be worked out from the figures published around it.

The disclosure rule (1 to 7 → `*`, others rounded to the nearest 5) tells a reader that each
published count lies in a box: 0 exactly, 1 to 7, or the five values that round to it. Many
counts are tied by sums a reader knows: a breakdown adds up to its total, months add up to
their quarter and year, organisations add up to the group. Intersecting those boxes can pin
a `*`: a total of 20 over parts `*`, 10 and 15 leaves only 1 (22 - 8 - 13).

``protect`` is the auditor. It narrows every box by each sum it takes part in (bounds
propagation, repeated until nothing changes), and wherever a small count would be left a
single possible value it withholds one more figure of that sum, shown as ``x``, and audits
again:

1. first a rounded figure of the pinned count's own sums (the smallest, a part before a
   total, ties by key). The auditor assumes the reader knows such an ``x`` is above 7.
2. Where none of those frees it (a `*` pinned by other `*`s and zeros alone: a `*` year
   over seven `*` months), a rounded figure one sum further away, or a `*` itself, chosen
   by trying each against the whole family. A `*` withheld as ``x`` is known only not to be
   0, and is still audited as a small count: it too must keep two possible values.
3. When propagation finds nothing pinned, an integer program over the whole family
   (``reports.exactcheck``: every sum at once, in whole numbers, as a determined reader
   would solve them) has the last word; a count only it pins withholds the first rounded
   figure of its own sums, and the audit starts again.
4. Each audit has a fixed budget of whole-family propagations and of integer-program
   rounds; when either is spent, every figure of the sums a pinned count is in is withheld
   at once. That always ends, and always safely: a count whose sums are all withheld
   cannot be pinned.

Every choice is made from the primary disclosed boxes alone, never from exact counts, so two
data sets with the same disclosed figures get the same withheld cells, and the same input
always gets the same answer (no clock in the budget).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from config.rules import DisclosurePolicy
from reports.bounds import IndexRelation, Sweep, propagate_local
from reports.disclosure import Cell, Disclosure
from reports.exactcheck import pinned

MIN_CANDIDATES = 2  # a small count must keep at least this many possible values
UNBOUNDED = 10**9  # the top of a withheld cell's box (a finite number keeps sums simple)
TRIALS = 6  # rounded figures tried (locally) for one pinned count before taking the first
ESCALATION_TRIALS = 8  # figures tried against the whole family for a count still pinned
MAX_PROPAGATIONS = 120  # whole-family propagations one audit may spend before the hammer
MAX_EXACT_ROUNDS = 6  # rounds the integer program may pin a count in before the hammer
# The integer program checks families up to this many non-zero published cells unless told
# otherwise (``protect(exact_cells=)``; the committee reports' limits and their costs:
# ``config.rules.DisclosurePolicy``). Larger families are audited by propagation alone.
EXACT_CELLS = DisclosurePolicy.exact_cells

Key = Hashable
Relation = tuple[Any, tuple[Any, ...]]  # parent = sum of children (keys: any hashable)
Priority = Callable[[Key], tuple[Any, ...]]


class DisclosureUnsafe(Exception):
    """The report cannot be published safely: nothing is shown rather than a pinned `*`."""


class FiguresInconsistent(DisclosureUnsafe, ValueError):
    """The counts break a sum they must keep (a rollup bug): nothing is published unaudited."""


class NothingToWithhold(DisclosureUnsafe):
    """A small count is pinned and nothing is left to withhold (the fallback makes this
    unreachable; kept so that a caller's last resort stays a clear refusal)."""


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
    """What a reader knows of a count from its published cell alone (an ``x`` taken, as the
    auditor takes it, to be a withheld rounded figure: above 7)."""
    if cell.withheld:
        return Box(rule.suppress_up_to + 1, UNBOUNDED)
    if cell.suppressed:
        return Box(1, rule.suppress_up_to)
    if not cell.value:
        return Box(0, 0)
    return _rounded_box(rule.suppress_up_to, rule.round_to, int(cell.value))


def hidden_box(rule: Disclosure) -> Box:
    """What a reader knows of a `*` withheld as ``x``: not 0 (an ``x`` is never a 0)."""
    return Box(1, UNBOUNDED)


def propagate(boxes: dict[Key, Box], relations: Sequence[Relation]) -> dict[Key, Box]:
    """Narrow every box by every sum until nothing changes (a worklist over the sums)."""
    keys = list(boxes)
    index = {key: i for i, key in enumerate(keys)}
    rels = [(index[p], tuple(index[c] for c in cs)) for p, cs in relations]
    lo = {i: b.lo for i, b in enumerate(boxes.values())}
    hi = {i: b.hi for i, b in enumerate(boxes.values())}
    if not propagate_local(lo, hi, rels):
        raise FiguresInconsistent("the figures cannot keep every sum they are in")
    return {key: Box(lo[i], hi[i]) for i, key in enumerate(keys)}


def candidates(box: Box, rule: Disclosure) -> int:
    """How many values in 1 to 7 a box still allows."""
    return max(0, min(box.hi, rule.suppress_up_to) - max(box.lo, 1) + 1)


def protect(
    exact: Mapping[Any, int],
    relations: Sequence[Relation],
    rule: Disclosure,
    *,
    priority: Priority = lambda key: (),
    hidden: frozenset[Key] = frozenset(),
    fixed: Mapping[Any, bool] | None = None,
    slack: frozenset[Key] = frozenset(),
    block: Callable[[Key], int] | None = None,
    exact_cells: int = EXACT_CELLS,
    proof_cells: int | None = None,
) -> dict[Key, Cell]:
    """Every count disclosed, with secondary suppression until no small count can be pinned,
    by bounds propagation and then by an integer program over the whole family.

    ``priority`` orders the figures that could be withheld (lowest first): e.g. a part of a
    breakdown before a total, a month before a year. ``hidden``: counts that take part in
    sums but are never published (a reader knows only that one is not 0; left out of the
    answer); ``slack``: counts never published that a reader knows only not to be below 0
    (what turns a known "at most" into a sum: a category's count plus the concerns not
    about it is the total). ``fixed``: counts whose display was settled elsewhere (True:
    withheld there), which this audit takes as they are and never withholds
    (``NothingToWithhold`` where that leaves a small count pinned and nothing else to
    withhold). ``block``: each count's block for the integer program (below 0: shared by
    all; ``exactcheck.pinned``), which makes it faster, never different. ``exact_cells``:
    the largest family the integer program checks (a larger one: propagation alone);
    ``proof_cells``: the largest it asks as a whole (a larger one, with ``block``: a few
    blocks at a time, what it cannot free there withheld around; ``exactcheck.pinned``'s
    ``prove``). None: as ``exact_cells``."""
    cells = _primary(exact, relations, rule)
    model = _Model(cells, relations, rule, hidden, slack, block, exact_cells, proof_cells)
    audit = _Audit(model, cells, priority, fixed or {})
    for i in audit.run():
        key = audit.model.keys[i]
        cells[key] = _withheld(cells[key])
    return _published(cells, hidden | slack)


def _published(cells: dict[Key, Cell], hidden: frozenset[Key]) -> dict[Key, Cell]:
    return {key: cell for key, cell in cells.items() if key not in hidden}


def withhold(
    exact: Mapping[Any, int],
    relations: Sequence[Relation],
    rule: Disclosure,
    *,
    withheld: Sequence[Key],
    hidden: frozenset[Key] = frozenset(),
    slack: frozenset[Key] = frozenset(),
    exactly: bool = True,
) -> dict[Key, Cell] | None:
    """``protect``'s answer rebuilt from the cells an earlier audit withheld (e.g. one kept
    in a shared cache), or None where those could not be its answer: a cell that is not in
    the family or is a 0, or a set that would leave a small count pinned (so a cache that
    was tampered with can cost an audit, never a reporter), by propagation and
    (``exactly``) by the integer program too."""
    cells = _primary(exact, relations, rule)
    model = _Model(cells, relations, rule, hidden, slack)
    at = []
    for key in withheld:
        i = model.index.get(key)
        if i is None or model.hidden[i]:  # not in the family, a 0, or never shown
            return None
        at.append(i)
    lo, hi = model.propagated(set(at))
    if lo is None or model.weak(lo, hi) or (exactly and model.pinned(lo, hi)):
        return None
    for key in withheld:
        cells[key] = _withheld(cells[key])
    return _published(cells, hidden | slack)


def _primary(
    exact: Mapping[Any, int], relations: Sequence[Relation], rule: Disclosure
) -> dict[Key, Cell]:
    cells = {key: rule.count(n) for key, n in exact.items()}
    zero = rule.count(0)
    for parent, children in relations:
        if parent not in cells:
            cells[parent] = zero
        for key in children:
            if key not in cells:
                cells[key] = zero
    return cells


class _Model:
    """The family's non-zero cells on integer indices: each one's primary box and the sums
    between them.

    A 0 is exact and never withheld, so it is left out of every sum (a sum of parts that
    are 0 says nothing a 0 does not): the sums shrink to their non-zero parts, which is
    most of the audit's speed on a large family."""

    def __init__(
        self,
        cells: Mapping[Key, Cell],
        relations: Sequence[Relation],
        rule: Disclosure,
        hidden: frozenset[Key] = frozenset(),
        slack: frozenset[Key] = frozenset(),
        block: Callable[[Key], int] | None = None,
        exact_cells: int = EXACT_CELLS,
        proof_cells: int | None = None,
    ) -> None:
        self.exact_cells = exact_cells
        self.proof_cells = exact_cells if proof_cells is None else proof_cells
        live = {
            key: cell
            for key, cell in cells.items()
            if cell.suppressed or cell.value or key in slack  # a slack is in its sums at 0 too
        }
        self.keys = keys = list(live)
        self.index = {key: i for i, key in enumerate(keys)}
        self.rule = rule
        memo: dict[Cell, Box] = {}  # most cells are the same few (`*`, 10, 15)
        for cell in live.values():
            if cell not in memo:
                memo[cell] = box_of(cell, rule)
        self.base_lo = np.array([memo[c].lo for c in live.values()], dtype=np.int64)
        self.base_hi = np.array([memo[c].hi for c in live.values()], dtype=np.int64)
        self.hidden = np.array([key in hidden for key in keys], dtype=bool)
        self.base_lo[self.hidden] = 1  # never shown: known only not to be 0
        self.base_hi[self.hidden] = UNBOUNDED
        slacks = np.array([key in slack for key in keys], dtype=bool)
        self.base_lo[slacks] = 0  # never shown: known only not to be below 0
        self.base_hi[slacks] = UNBOUNDED
        self.hidden |= slacks
        self.star = np.array([c.suppressed for c in live.values()], dtype=bool) & ~self.hidden
        self.rels = self._rels(relations)
        self.member_of: list[list[int]] = [[] for _ in keys]
        for r, (parent, children) in enumerate(self.rels):
            for k in (parent, *children):
                self.member_of[k].append(r)
        self.sweep = Sweep(self.rels, len(keys))
        self.propagations = 0
        self.blocks = None if block is None else np.array([block(k) for k in keys])
        if self.blocks is not None and len(set(self.blocks[self.blocks >= 0].tolist())) < 2:
            self.blocks = None  # one block: the whole program

    def _rels(self, relations: Sequence[Relation]) -> list[IndexRelation]:
        rels: list[IndexRelation] = []
        index = self.index
        for parent, children in relations:
            p = index.get(parent)
            kids = tuple(c for c in map(index.get, children) if c is not None)
            if p is not None and kids:
                rels.append((p, kids))
            elif p is not None or kids:
                raise FiguresInconsistent(f"{parent!r} cannot be the sum of its parts")
        return rels

    def start(self, withheld: set[int]) -> tuple[np.ndarray, np.ndarray]:
        """The boxes before narrowing, with ``withheld`` shown as ``x``."""
        lo, hi = self.base_lo.copy(), self.base_hi.copy()
        if withheld:
            at = np.fromiter(withheld, dtype=np.int64, count=len(withheld))
            small = self.star[at]
            lo[at] = np.where(small, 1, self.rule.suppress_up_to + 1)
            hi[at] = UNBOUNDED
        return lo, hi

    def propagated(self, withheld: set[int]) -> tuple[np.ndarray | None, np.ndarray]:
        """The narrowed boxes (lo None where the figures break a sum)."""
        self.propagations += 1
        lo, hi = self.start(withheld)
        if not self.sweep.propagate(lo, hi):
            return None, hi
        return lo, hi

    def weak(self, lo: np.ndarray, hi: np.ndarray) -> list[int]:
        """The small counts (`*`, shown or withheld) left fewer than two possible values."""
        return np.flatnonzero(self.star & (hi - lo + 1 < MIN_CANDIDATES)).tolist()

    def pinned(self, lo: np.ndarray, hi: np.ndarray) -> list[int]:
        """The small counts an integer program over every sum at once pins (exact, where
        propagation, one sum at a time, may leave them two values)."""
        size = int((~self.hidden).sum())  # counted without slacks (cheap)
        if size > self.exact_cells:
            return []
        small = [i for i in np.flatnonzero(self.star).tolist() if self.member_of[i]]
        prove = size <= self.proof_cells or self.blocks is None
        return pinned(lo, hi, self.rels, small, self.blocks, prove=prove)


class _Audit:
    """``protect``'s rounds: each audits the whole family from the primary boxes and the
    cells withheld so far, then withholds one more figure beside each pinned count."""

    def __init__(
        self,
        model: _Model,
        cells: Mapping[Key, Cell],
        priority: Priority,
        fixed: Mapping[Any, bool],
    ) -> None:
        self.model = model
        keys = model.keys
        # every cell here is not 0; a `*` or a count never shown is not a rounded figure
        self.open = (~model.star & ~model.hidden).tolist()
        self.never = set(np.flatnonzero(model.hidden).tolist())  # never shown, never withheld
        settled = {model.index[k]: w for k, w in fixed.items() if k in model.index}
        self.never |= settled.keys()  # displayed as decided elsewhere
        for i in settled:
            self.open[i] = False
        self.exact_rounds = 0
        self.rank = {
            i: (priority(keys[i]), cells[keys[i]].value, repr(keys[i]))
            for i in range(len(keys))
            if self.open[i] and model.member_of[i]
        }
        stars = [i for i in np.flatnonzero(model.star).tolist() if model.member_of[i]]
        self.place = {i: n for n, i in enumerate(sorted(stars, key=lambda i: repr(keys[i])))}
        self.withheld: set[int] = {i for i, w in settled.items() if w}

    def run(self) -> set[int]:
        model = self.model
        while True:
            lo, hi = model.propagated(self.withheld)
            if lo is None:
                raise FiguresInconsistent("the figures cannot keep every sum they are in")
            weak = sorted(model.weak(lo, hi), key=self.place.__getitem__)
            exactly = not weak
            if exactly:  # propagation finds none: the integer program has the last word
                weak = sorted(model.pinned(lo, hi), key=self.place.__getitem__)
                if not weak:
                    return self.withheld
                self.exact_rounds += 1
            self._start = model.start(self.withheld)
            if model.propagations > MAX_PROPAGATIONS or self.exact_rounds > MAX_EXACT_ROUNDS:
                chosen = self._hammer(weak)
            elif exactly:
                chosen = self._beside(weak) or self._hammer(weak)
            else:
                chosen = self._direct(weak) or self._escalate(weak, lo, hi) or self._hammer(weak)
            if not chosen:
                raise NothingToWithhold("secondary suppression found nothing to withhold")
            self._take(chosen)

    def _take(self, chosen: set[int]) -> None:
        self.withheld |= chosen
        for i in chosen:
            self.open[i] = False

    def _members(self, i: int) -> set[int]:
        rels = self.model.rels
        return {k for r in self.model.member_of[i] for k in (rels[r][0], *rels[r][1])}

    def _direct(self, weak: list[int]) -> set[int]:
        """A rounded figure of each pinned count's own sums, where one frees it there."""
        chosen: set[int] = set()
        for i in weak:
            members = self._members(i)
            if not chosen.isdisjoint(members):
                continue  # already freed this round, perhaps: the next audit says
            options = self._rounded(i, members)
            if not options or self._frees(i, None):
                continue  # pinned from further away: a neighbour's choice or escalation
            freeing = next((o for o in options[:TRIALS] if self._frees(i, o)), None)
            if freeing is not None:  # else none frees it there: escalation tries further
                chosen.add(freeing)
        return chosen

    def _beside(self, weak: list[int]) -> set[int]:
        """For counts only the integer program pins: the first rounded figure of each one's
        own sums, in the order they would be withheld (the next round checks again)."""
        chosen: set[int] = set()
        for i in weak:
            members = self._members(i)
            if chosen.isdisjoint(members):
                options = self._rounded(i, members)
                if options:
                    chosen.add(options[0])
        return chosen

    def _rounded(self, i: int, members: set[int]) -> list[int]:
        """The rounded figures among ``members``, in the order they would be withheld."""
        parents = {self.model.rels[r][0] for r in self.model.member_of[i]}
        options = [k for k in members if self.open[k]]
        rank = self.rank
        return sorted(options, key=lambda k: (rank[k][0], k in parents, rank[k][1], rank[k][2]))

    def _frees(self, weak: int, option: int | None) -> bool:
        """Would withholding ``option`` (None: nothing more) leave the count at ``weak`` two
        values or more, judged by the sums either is in alone (a quick guide; the full
        audit decides)."""
        model = self.model
        around = model.member_of[option] if option is not None else []
        mine = sorted({*model.member_of[weak], *around})
        rels = [model.rels[r] for r in mine]
        cells = {k for parent, children in rels for k in (parent, *children)}
        lo0, hi0 = self._start
        lo = {k: int(lo0[k]) for k in cells}
        hi = {k: int(hi0[k]) for k in cells}
        if option is not None:
            lo[option], hi[option] = model.rule.suppress_up_to + 1, UNBOUNDED
        if not propagate_local(lo, hi, rels):
            return False
        return hi[weak] - lo[weak] + 1 >= MIN_CANDIDATES

    def _escalate(self, weak: list[int], lo: np.ndarray, hi: np.ndarray) -> set[int]:
        """For counts no rounded figure of their own sums frees locally: withhold a figure
        whose bound is the one that pins them (read off the narrowed boxes, no trials)."""
        chosen: set[int] = set()
        for i in weak:
            if not chosen.isdisjoint(self._members(i)):
                continue
            binding = self._binding(i, lo, hi)
            options = [k for k in binding if k not in self.withheld and k not in self.never]
            rounded = [k for k in options if self.open[k]]
            if rounded:
                chosen.add(min(rounded, key=self.rank.__getitem__))
            elif options:
                chosen.add(options[0])
        return chosen

    def _binding(self, i: int, lo: np.ndarray, hi: np.ndarray) -> list[int]:
        """The figures whose published bound sets the pinned count's upper bound: its own
        (a `*` at 7 over parts that reach 7), a parent's (and a part beside it), or its
        parts'. Withholding one of them raises that bound."""
        model, start_hi = self.model, self._start[1]
        found: list[int] = [i] if hi[i] == start_hi[i] else []
        for r in model.member_of[i]:
            parent, children = model.rels[r]
            if parent == i:
                if int(hi[list(children)].sum()) == hi[i]:
                    found += [c for c in children if hi[c] == start_hi[c]]
                continue
            others = int(lo[list(children)].sum()) - int(lo[i])
            if int(hi[parent]) - others == hi[i]:
                found += [parent] if hi[parent] == start_hi[parent] else []
                above = model.rule.suppress_up_to + 1  # a withheld figure's lowest value
                found += [c for c in children if c != i and self.open[c] and lo[c] > above]
        return list(dict.fromkeys(found))

    def _hammer(self, weak: list[int]) -> set[int]:
        """Withhold every figure of every sum a pinned count is in (or, where all of those
        are withheld already, of the sums next to those: the pin comes along a chain)."""
        seen, frontier = set(weak), set(weak)
        while frontier:
            members = set().union(*(self._members(i) for i in frontier))
            fresh = members - self.withheld - self.never
            if fresh:
                return fresh
            frontier = members - seen
            seen |= members
        return set()


def _withheld(cell: Cell) -> Cell:
    return Cell(None, suppressed=True, withheld=True, unit=cell.unit)
