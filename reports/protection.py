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
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from reports.disclosure import Cell, Disclosure

MIN_CANDIDATES = 2  # a `*` must keep at least this many possible values in 1 to 7
UNBOUNDED = 10**9  # the top of a withheld cell's box (a finite number keeps sums simple)

Key = Hashable
Relation = tuple[Key, tuple[Key, ...]]  # parent = sum of children


class FiguresInconsistent(ValueError):
    """The counts break a sum they must keep (a rollup bug): nothing is published unaudited."""


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
    boxes = dict(boxes)
    member_of: dict[Key, list[int]] = defaultdict(list)
    for i, (parent, children) in enumerate(relations):
        for key in (parent, *children):
            member_of[key].append(i)
    pending, queued = list(range(len(relations))), set(range(len(relations)))
    while pending:
        i = pending.pop()
        queued.discard(i)
        parent, children = relations[i]
        changed = _narrow(boxes, parent, children)
        for key in changed:
            for j in member_of[key]:
                if j not in queued:
                    queued.add(j)
                    pending.append(j)
    return boxes


def _narrow(boxes: dict[Key, Box], parent: Key, children: tuple[Key, ...]) -> list[Key]:
    p = boxes[parent]
    lo_sum = sum(boxes[c].lo for c in children)
    hi_sum = sum(boxes[c].hi for c in children)
    changed = []
    new_p = Box(max(p.lo, lo_sum), min(p.hi, hi_sum))
    if new_p.lo > new_p.hi:
        raise FiguresInconsistent(f"{parent!r} cannot be the sum of {children!r}")
    if new_p != p:
        boxes[parent], p, changed = new_p, new_p, [parent]
    for c in children:
        b = boxes[c]
        new_b = Box(max(b.lo, p.lo - (hi_sum - b.hi)), min(b.hi, p.hi - (lo_sum - b.lo)))
        if new_b.lo > new_b.hi:
            raise FiguresInconsistent(f"{c!r} cannot be a part of {parent!r}")
        if new_b != b:
            boxes[c] = new_b
            changed.append(c)
    return changed


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
    cells = {key: rule.count(n) for key, n in exact.items()}
    for parent, children in relations:
        for key in (parent, *children):
            cells.setdefault(key, rule.count(0))
    primary = dict(cells)  # choices are made from these alone, never from exact counts
    member_of: dict[Key, list[Relation]] = defaultdict(list)
    for relation in relations:
        for key in (relation[0], *relation[1]):
            member_of[key].append(relation)
    while True:
        boxes = propagate({k: box_of(c, rule) for k, c in cells.items()}, relations)
        weak = [k for k in sorted(cells, key=repr) if _is_weak(k, cells, boxes, rule)]
        if not weak:
            return cells
        chosen: set[Key] = set()
        for key in weak:
            options = _options(key, member_of, cells, primary, priority)
            if not options:  # cannot happen with a consistent input
                raise RuntimeError("secondary suppression found nothing to withhold")
            if chosen & set(options):
                continue  # already freed this round, perhaps: the next audit says
            # The first option (in priority order) that frees this `*` within its own
            # sums; else the first. The next round's full audit checks either way.
            trials = (o for o in options[:TRIALS] if _frees(key, o, member_of, cells, rule))
            chosen.add(next(trials, options[0]))
        for key in chosen:
            cells[key] = _withheld(cells[key])


def _frees(key: Key, option: Key, member_of, cells: Mapping[Key, Cell], rule) -> bool:
    """Would withholding ``option`` leave the `*` at ``key`` two values or more, judged by
    the sums they are in alone (a quick guide; the full audit decides)."""
    local = [r for r in member_of[key] if option in (r[0], *r[1])] or member_of[key]
    trial = {**cells, option: _withheld(cells[option])}
    keys = {k for parent, children in local for k in (parent, *children)}
    boxes = propagate({k: box_of(trial[k], rule) for k in keys}, local)
    return candidates(boxes[key], rule) >= MIN_CANDIDATES


TRIALS = 6  # options tried one at a time before settling for the first


def _withheld(cell: Cell) -> Cell:
    return Cell(None, suppressed=True, withheld=True, unit=cell.unit)


def _is_weak(key: Key, cells: Mapping[Key, Cell], boxes: Mapping[Key, Box], rule) -> bool:
    cell = cells[key]
    return cell.suppressed and not cell.withheld and candidates(boxes[key], rule) < MIN_CANDIDATES


def _options(
    weak: Key,
    member_of: Mapping[Key, list[Relation]],
    cells: dict[Key, Cell],
    primary: dict[Key, Cell],
    priority: Callable[[Key], tuple],
) -> list[Key]:
    """The rounded figures of the sums the weak `*` is in (or, failing any, of the sums next
    to those: the pin came along a chain), in the order they would be withheld."""
    seen, frontier = {weak}, [weak]
    while frontier:
        relations = [r for k in frontier for r in member_of[k]]
        members = {k for parent, children in relations for k in (parent, *children)}
        options = [k for k in members if not cells[k].suppressed and cells[k].value]
        if options:
            parents = {parent for parent, _ in relations}
            return sorted(
                options,
                key=lambda k: (priority(k), k in parents, primary[k].value, repr(k)),
            )
        frontier = [k for k in members if k not in seen]
        seen.update(frontier)
    return []
