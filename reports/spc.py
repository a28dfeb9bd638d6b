"""Statistical process control for monthly counts, in the NHS "Making Data Count" manner.

XmR (individuals) chart: centre line at the mean, process limits at mean ± 2.66 x the mean
moving range (the usual estimate of 3 sigma). A c-chart (mean ± 3√mean, for counts of
independent events) is offered too. Special-cause variation is flagged by the Making Data
Count rules: a point beyond a limit; a shift of 7 or more points in a row on one side of the
mean; a trend of 7 or more points in a row each higher (or each lower) than the one before;
two of three points in a row beyond two sigma on the same side.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

XMR_CONSTANT = 2.66  # 3 / d2, d2 = 1.128 for moving ranges of two
SHIFT_RUN = 7
TREND_RUN = 7
MIN_POINTS = 12  # fewer than this and limits are too unstable to be worth drawing


@dataclass(frozen=True)
class SpcPoint:
    value: float
    rules: tuple[str, ...] = ()

    @property
    def special(self) -> bool:
        return bool(self.rules)

    @property
    def direction(self) -> str:
        return self.rules[-1].split(":")[1] if self.rules else ""


@dataclass(frozen=True)
class SpcChart:
    kind: str
    mean: float
    lower: float
    upper: float
    sigma: float
    points: tuple[SpcPoint, ...] = field(default_factory=tuple)
    withheld: bool = False  # limits not shown: they would rest on a withheld figure

    @property
    def has_limits(self) -> bool:
        return not self.withheld and len(self.points) >= MIN_POINTS

    @property
    def special_count(self) -> int:
        return sum(1 for p in self.points if p.special)


def xmr(values: Sequence[float]) -> SpcChart:
    if not values:
        return SpcChart("xmr", 0.0, 0.0, 0.0, 0.0, ())
    mean = sum(values) / len(values)
    ranges = [abs(b - a) for a, b in itertools.pairwise(values)]
    mr_bar = sum(ranges) / len(ranges) if ranges else 0.0
    sigma = XMR_CONSTANT * mr_bar / 3
    return _chart("xmr", values, mean, sigma)


def c_chart(values: Sequence[float]) -> SpcChart:
    if not values:
        return SpcChart("c", 0.0, 0.0, 0.0, 0.0, ())
    mean = sum(values) / len(values)
    return _chart("c", values, mean, math.sqrt(mean))


def _chart(kind: str, values: Sequence[float], mean: float, sigma: float) -> SpcChart:
    upper, lower = mean + 3 * sigma, max(0.0, mean - 3 * sigma)
    rules: list[list[str]] = [[] for _ in values]
    if sigma > 0:
        for i, v in enumerate(values):
            if v > upper:
                rules[i].append("outside:high")
            elif v < mean - 3 * sigma:
                rules[i].append("outside:low")
        _runs(values, mean, rules)
        _trends(values, rules)
        _two_of_three(values, mean, sigma, rules)
    points = tuple(
        SpcPoint(float(v), tuple(dict.fromkeys(r))) for v, r in zip(values, rules, strict=True)
    )
    return SpcChart(kind, mean, lower, upper, sigma, points)


def _mark(rules: list[list[str]], start: int, end: int, label: str) -> None:
    for i in range(start, end):
        rules[i].append(label)


def _runs(values: Sequence[float], mean: float, rules: list[list[str]]) -> None:
    """A shift: SHIFT_RUN or more consecutive points all above (or all below) the mean."""
    start = 0
    for i in range(1, len(values) + 1):
        side = _side(values[start], mean)
        if i < len(values) and _side(values[i], mean) == side and side != 0:
            continue
        if side != 0 and i - start >= SHIFT_RUN:
            _mark(rules, start, i, f"shift:{'high' if side > 0 else 'low'}")
        start = i


def _side(v: float, mean: float) -> int:
    return (v > mean) - (v < mean)


def _trends(values: Sequence[float], rules: list[list[str]]) -> None:
    """A trend: TREND_RUN or more points in a row, each higher (or each lower) than the last."""
    steps = [_side(b, a) for a, b in itertools.pairwise(values)]
    i = 0
    while i < len(steps):
        j = i
        while j + 1 < len(steps) and steps[j + 1] == steps[i]:
            j += 1
        points = j - i + 2  # steps i..j join points i..j+1
        if steps[i] != 0 and points >= TREND_RUN:
            _mark(rules, i, j + 2, f"trend:{'high' if steps[i] > 0 else 'low'}")
        i = j + 1


def _two_of_three(
    values: Sequence[float], mean: float, sigma: float, rules: list[list[str]]
) -> None:
    for side, name in ((1, "high"), (-1, "low")):
        beyond = [side * (v - mean) > 2 * sigma for v in values]
        for i in range(len(values) - 2):
            window = beyond[i : i + 3]
            if sum(window) >= 2:
                for j in range(i, i + 3):
                    if beyond[j]:
                        rules[j].append(f"near_limit:{name}")
