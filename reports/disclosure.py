"""Small-number disclosure control: the NHS Digital rule, applied in one place.

Every count a committee member sees (page, API, export) passes through ``Disclosure``:
0 stays 0; counts of 1 to ``suppress_up_to`` show as "*"; other counts are rounded to the
nearest ``round_to``. Totals are disclosed from their unrounded sum; ``reports.protection``
then withholds ("x") what would let a "*" be worked out. Percentages (``share``) are of the
disclosed counts and medians (``median_of``) are withheld with the count they rest on, so
neither says more than the counts do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from config import rules

SUPPRESSED = "*"
WITHHELD = "x"  # secondary suppression: not 0 (mostly above 7), so that no `*` can be worked out
NOT_APPLICABLE = "–"  # noqa: RUF001 - an en dash reads as "none" in a table


@dataclass(frozen=True)
class Cell:
    """One disclosed figure. ``value`` is None when suppressed or when there is nothing to
    show (e.g. a percentage of zero cases); ``suppressed`` says which."""

    value: int | float | None
    suppressed: bool = False
    unit: str = ""  # "" for a count, "%" for a percentage, "days" for a median
    withheld: bool = False  # suppressed as well, to protect a `*` beside it (shown "x")

    @property
    def display(self) -> str:
        if self.withheld:
            return WITHHELD
        if self.suppressed:
            return SUPPRESSED
        if self.value is None:
            return NOT_APPLICABLE
        if isinstance(self.value, float) and not self.value.is_integer():
            text = f"{self.value:.1f}"
        else:
            text = f"{int(self.value):,}"
        return f"{text}%" if self.unit == "%" else text

    def __str__(self) -> str:
        return self.display


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


@dataclass(frozen=True)
class Disclosure:
    suppress_up_to: int = 7
    round_to: int = 5

    @classmethod
    def current(cls) -> Disclosure:
        policy = rules.disclosure()
        return cls(suppress_up_to=policy.suppress_up_to, round_to=policy.round_to)

    def is_small(self, n: int) -> bool:
        return 1 <= n <= self.suppress_up_to

    def rounded(self, n: int) -> int:
        """``n`` (larger than the suppression threshold) to the nearest multiple of round_to,
        never landing on a value that would itself look suppressible."""
        value = _round_half_up(n / self.round_to) * self.round_to
        if value <= self.suppress_up_to:
            value = math.ceil((self.suppress_up_to + 1) / self.round_to) * self.round_to
        return value

    def count(self, n: int) -> Cell:
        if n < 0:
            raise ValueError("a count cannot be negative")
        if n == 0:
            return Cell(0)
        if self.is_small(n):
            return Cell(None, suppressed=True)
        return Cell(self.rounded(n))

    def total(self, parts: Iterable[int]) -> Cell:
        """A total of unrounded parts, disclosed once (never a sum of rounded cells)."""
        return self.count(sum(parts))

    def rate(self, numerator: int, denominator: int) -> Cell:
        """A whole-number percentage, computed from unrounded counts."""
        if denominator == 0:
            return Cell(None, unit="%")
        if self.is_small(numerator) or self.is_small(denominator):
            return Cell(None, suppressed=True, unit="%")
        return Cell(_round_half_up(100 * numerator / denominator), unit="%")

    def share(self, part: Cell, whole: Cell) -> Cell:
        """A whole-number percentage of two DISCLOSED counts (never of exact ones), withheld
        with the mark of a withheld operand: the committee's percentages add nothing to what
        the counts beside them already say."""
        for operand in (part, whole):
            if operand.suppressed:
                return Cell(None, suppressed=True, withheld=operand.withheld, unit="%")
        if not whole.value:
            return Cell(None, unit="%")
        return Cell(_round_half_up(100 * float(part.value or 0) / float(whole.value)), unit="%")

    def median_of(self, histogram: Mapping[int, int], n: Cell) -> Cell:
        """The median of a histogram of whole days, withheld when the number of cases it
        rests on (``n``, a disclosed count) is."""
        if n.suppressed:
            return Cell(None, suppressed=True, withheld=n.withheld, unit="days")
        if not n.value or not sum(histogram.values()):
            return Cell(None, unit="days")
        return Cell(histogram_median(histogram), unit="days")

    def median(self, histogram: Mapping[int, int]) -> Cell:
        """The median of whole-day durations held as {days: how many}."""
        n = sum(histogram.values())
        if n == 0:
            return Cell(None, unit="days")
        if self.is_small(n):
            return Cell(None, suppressed=True, unit="days")
        return Cell(histogram_median(histogram), unit="days")


def histogram_median(histogram: Mapping[int, int]) -> float:
    """The exact median of the values a histogram describes (mean of the middle two)."""
    n = sum(histogram.values())
    if n == 0:
        raise ValueError("no values")
    lower_rank, upper_rank = (n + 1) // 2, n // 2 + 1
    lower = upper = None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if lower is None and seen >= lower_rank:
            lower = value
        if seen >= upper_rank:
            upper = value
            break
    assert lower is not None and upper is not None
    return (lower + upper) / 2
