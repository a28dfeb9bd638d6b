"""Bounds propagation: every box narrowed by every sum it is in, until nothing changes.

Two ways to the same answer: ``propagate_local`` over a few sums (a worklist in Python, for
the auditor's local trials) and ``Sweep`` over a whole family (array operations)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

IndexRelation = tuple[int, tuple[int, ...]]


def propagate_local(lo: dict[int, int], hi: dict[int, int], rels: Sequence[IndexRelation]) -> bool:
    """Bounds propagation over a few sums, in place (a worklist: each sum is looked at again
    when a box it holds narrows). False where the boxes cannot keep every sum. The result is
    the greatest boxes every sum allows, whatever order the sums are visited in."""
    member_of: dict[int, list[int]] = {}
    for r, (parent, children) in enumerate(rels):
        for k in (parent, *children):
            member_of.setdefault(k, []).append(r)
    pending = list(range(len(rels)))
    queued = [True] * len(rels)
    while pending:
        r = pending.pop()
        queued[r] = False
        changed = _narrow(lo, hi, rels[r])
        if changed is None:
            return False
        for k in changed:
            for j in member_of[k]:
                if not queued[j]:
                    queued[j] = True
                    pending.append(j)
    return True


def _narrow(lo: dict[int, int], hi: dict[int, int], rel: IndexRelation) -> list[int] | None:
    """One sum's narrowing of its parent's and its parts' boxes: the cells it changed, or
    None where they cannot keep it."""
    parent, children = rel
    lo_sum = sum(lo[c] for c in children)
    hi_sum = sum(hi[c] for c in children)
    p_lo, p_hi = max(lo[parent], lo_sum), min(hi[parent], hi_sum)
    if p_lo > p_hi:
        return None
    changed = [parent] if (p_lo, p_hi) != (lo[parent], hi[parent]) else []
    lo[parent], hi[parent] = p_lo, p_hi
    for c in children:
        new_lo = max(lo[c], p_lo - (hi_sum - hi[c]))
        new_hi = min(hi[c], p_hi - (lo_sum - lo[c]))
        if new_lo > new_hi:
            return None
        if (new_lo, new_hi) != (lo[c], hi[c]):
            lo[c], hi[c] = new_lo, new_hi
            changed.append(c)
    return changed


class Sweep:
    """The whole family's propagation as array operations: every sum narrows every box at
    once, again until nothing changes. That reaches the same boxes as ``propagate_local``
    (each narrowing is monotone and keeps what every sum allows, so both stop at the
    greatest boxes no sum can narrow), in a few dozen sweeps instead of a Python loop over
    tens of thousands of sums."""

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

    def propagate(self, lo: np.ndarray, hi: np.ndarray) -> bool:
        """Narrowed in place; False where the boxes cannot keep every sum."""
        if not len(self.parent):
            return True
        parent, child, rel, cells = self.parent, self.child, self.child_rel, self.cells
        while True:
            lo_sum = np.add.reduceat(lo[child], self.starts)
            hi_sum = np.add.reduceat(hi[child], self.starts)
            implied_lo = np.concatenate((lo_sum, lo[parent][rel] - hi_sum[rel] + hi[child]))
            implied_hi = np.concatenate((hi_sum, hi[parent][rel] - lo_sum[rel] + lo[child]))
            new_lo = np.maximum(
                lo[cells], np.maximum.reduceat(implied_lo[self.by_cell], self.groups)
            )
            new_hi = np.minimum(
                hi[cells], np.minimum.reduceat(implied_hi[self.by_cell], self.groups)
            )
            if (new_lo > new_hi).any():
                return False
            if np.array_equal(new_lo, lo[cells]) and np.array_equal(new_hi, hi[cells]):
                return True
            lo[cells], hi[cells] = new_lo, new_hi
