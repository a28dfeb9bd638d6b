"""Helpers for the adversarial report tests: small data sets as rollup rows, and an attacker
who solves for the exact counts behind every figure a committee member can see.

A data set is a count per *atom* (organisation, month, route, reporter role, status: still
received, or closed with an outcome); every figure
the reports publish is a sum over a set of atoms. The attacker knows what each published
cell allows (0; 1 to 7 for "*"; the five values that round to a figure; above 7 for "x") and
asks an integer program (HiGHS) for the least and the greatest value a `*` can take given
all of them at once.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

import highspy

from reports.disclosure import Cell, Disclosure
from reports.models import Grain, MonthlyCount, MonthlyDuration
from reports.periods import Period, financial_year, financial_year_of, quarter
from reports.selectors import report_figures, report_scope_for_user
from reports.services import _derive_grains
from reports.tables import Dashboard, dashboard_build

RULE = Disclosure(suppress_up_to=7, round_to=5)
MONTHS = [dt.date(2024, 4, 1), dt.date(2024, 5, 1), dt.date(2024, 6, 1), dt.date(2024, 7, 1)]
# two months of the year before, for data sets with cases still open from two years
EARLIER = [dt.date(2023, 4, 1), dt.date(2023, 5, 1)]
ROUTES = ["open", "confidential", "anonymous"]
ROLES = ["learner", "supervisor", "other_staff"]
OPEN_ONLY = ("received",)
STATUSES = ("received", "closed")

# organisation id, month, route, role, status; and, where the data set has them, the
# categories the atom's concerns are about (a concern has one or more)
Atom = tuple[Any, ...]
CATEGORIES = ("patient-safety", "bullying-harassment")
CATEGORY_SETS = (("patient-safety",), ("bullying-harassment",), CATEGORIES)


def atoms_for(
    org_ids: list[int],
    values: list[int],
    statuses: tuple[str, ...] = OPEN_ONLY,
    months: list[dt.date] = MONTHS,
) -> dict[Atom, int]:
    keys = list(itertools.product(org_ids, months, ROUTES, ROLES, statuses))
    return dict(zip(keys, values, strict=True))


def atom_count(
    org_ids: list[int], statuses: tuple[str, ...] = OPEN_ONLY, months: list[dt.date] = MONTHS
) -> int:
    return len(org_ids) * len(months) * len(ROUTES) * len(ROLES) * len(statuses)


def tagged_atoms_for(org_ids: list[int], values: list[int]) -> dict[Atom, int]:
    """Open concerns by organisation, month, route and set of categories (learners)."""
    keys = [
        (org, month, route, "learner", "received", cats)
        for org, month, route, cats in itertools.product(org_ids, MONTHS, ROUTES, CATEGORY_SETS)
    ]
    return dict(zip(keys, values, strict=True))


def tagged_atom_count(org_ids: list[int]) -> int:
    return len(org_ids) * len(MONTHS) * len(ROUTES) * len(CATEGORY_SETS)


def load(atoms: dict[Atom, int]) -> None:
    """The data set as rollup rows (what the reports read), grains derived by the real code."""
    MonthlyCount.objects.all().delete()
    MonthlyDuration.objects.all().delete()
    counts: Counter = Counter()
    for atom, n in atoms.items():
        if not n:
            continue
        org, month, route, role, status = atom[:5]
        for cat in atom[5] if len(atom) > 5 else ():
            counts[(org, month, "category", cat)] += n
        for dimension, value in (
            ("total", ""),
            ("route", route),
            ("role", role),
            ("group", "other"),
            ("status", status),
            ("response", "open" if status == "received" else "closed"),
            ("department", "none"),
        ):
            counts[(org, month, dimension, value)] += n
    MonthlyCount.objects.bulk_create(
        MonthlyCount(organisation_id=o, grain=Grain.MONTH, month=m, dimension=d, value=v, count=n)
        for (o, m, d, v), n in counts.items()
    )
    months = sorted({a[1] for a in atoms})
    for org in {a[0] for a in atoms}:
        _derive_grains(org, months)


def periods(atoms: Iterable[Atom] = ()) -> list[Period]:
    """Every period a member can choose that holds any of the data (the others are all 0):
    2024/25's, and 2023/24's where the data set has months of it (``EARLIER``)."""
    chosen = [
        financial_year(2024),
        quarter(2024, 1),
        quarter(2024, 2),
        *(Period("month", m, m) for m in MONTHS),
    ]
    if any(a[1] in EARLIER for a in atoms):
        chosen += [financial_year(2023), quarter(2023, 1)]
        chosen += [Period("month", m, m) for m in EARLIER]
    return chosen


def choices(org_ids: list[int]) -> list[tuple[int, ...]]:
    """The organisation choices a member of them all has: each one, and all together."""
    return [(o,) for o in org_ids] + ([tuple(org_ids)] if len(org_ids) > 1 else [])


def build(user, period: Period, orgs: tuple[int, ...]) -> Dashboard:
    scope = report_scope_for_user(user=user, period=period, organisation_ids=list(orgs))
    return dashboard_build(scope=scope, figures=report_figures(scope=scope))


def published(
    dashboard: Dashboard, orgs: tuple[int, ...], period: Period, atoms: Iterable[Atom]
) -> list[tuple[frozenset[Atom], Cell]]:
    """Every count the dashboard shows, each with the atoms it is the sum of."""
    atoms = list(atoms)
    months = set(period.months)

    def where(*, org=None, month=None, route=None, role=None, status=None) -> frozenset[Atom]:
        return frozenset(
            a
            for a in atoms
            if a[0] in (orgs if org is None else (org,))
            and a[1] in (months if month is None else {month})
            and (route is None or a[2] == route)
            and (role is None or a[3] == role)
            and (status is None or a[4] == status)
        )

    everything = where()
    figures: list[tuple[frozenset[Atom], Cell]] = []
    tables = dashboard.tables
    for key in ("route", "role", "status"):
        for row in tables[key].rows:
            group = everything if row.key == "total" else where(**{key: row.key})
            figures.append((group, row.cells[0]))
    for key, value in (("group", "other"), ("department", "none")):
        for row in tables[key].rows:
            if row.key in (value, "total"):
                figures.append((everything, row.cells[0]))
    for row in tables["organisation"].rows:
        group = everything if row.key == "total" else where(org=int(row.key))
        figures.append((group, row.cells[0]))
    response = {r.key: r.cells[0] for r in tables["response"].rows}
    figures.append((everything, response["total"]))
    figures.append((where(status="received"), response["still_open"]))
    figures.append((where(status="closed"), response["closed"]))
    figures.append((open_now_atoms(atoms, orgs), response["open_now"]))
    for month, cell in zip(dashboard.trend_months, dashboard.trend_cells, strict=True):
        figures.append((where(month=month), cell))
    if atoms and len(atoms[0]) > 5:  # the categories table: a concern is in each of its own
        for row in tables["category"].rows:
            figures.append((frozenset(a for a in everything if row.key in a[5]), row.cells[0]))
    return figures


def box(cell: Cell, truth: int, *, blanket: bool = False) -> tuple[float, float]:
    """What a reader knows of a count from its cell: worked out by brute force here, not
    with the code under test. An ``x`` is taken at its strongest: above 7 where it hides a
    rounded figure, and not 0 where it hides a `*` (the auditor's last resort); but where
    every figure of several organisations together is an ``x`` (``blanket``), whatever it
    is, an ``x`` there says only that it is not 0."""
    if cell.withheld and blanket:
        return (1, math.inf)
    if cell.withheld:
        return (RULE.suppress_up_to + 1, math.inf) if truth > RULE.suppress_up_to else (1, math.inf)
    return _box(cell.display)


@cache
def _box(display: str) -> tuple[float, float]:
    values = [n for n in range(0, 500) if RULE.count(n).display == display]
    assert values, display
    return (min(values), max(values))


def open_now_atoms(atoms: Iterable[Atom], orgs: tuple[int, ...]) -> frozenset[Atom]:
    """Open now: every case still open, whichever year it was raised in."""
    return frozenset(a for a in atoms if a[0] in orgs and a[4] == "received")


def in_year(group: frozenset[Atom], period: Period) -> bool:
    """Is every atom of the figure in the period's financial year (a year's trend also
    shows the months of the year before: figures of that year's family)?"""
    fy = financial_year(financial_year_of(period.first_month))
    return all(fy.first_month <= a[1] <= fy.last_month for a in group)


def withheld_together(
    figures: list[tuple[frozenset[Atom], Cell]],
    orgs: tuple[int, ...],
    atoms: Iterable[Atom],
    period: Period,
) -> bool:
    """Is every figure of several organisations together in the period's financial year
    that is not 0 an ``x`` (today's caseload may be shown): withheld whatever it is, so
    each says only that it is not 0."""
    today = open_now_atoms(atoms, orgs)
    together = [
        (group, cell)
        for group, cell in figures
        if len({a[0] for a in group}) > 1 and cell.display != "0" and in_year(group, period)
    ]
    return bool(together) and all(cell.withheld or group == today for group, cell in together)


class Attacker:
    """An integer program over the atoms, constrained by every figure seen."""

    def __init__(self, atoms: list[Atom]) -> None:
        self.atoms = atoms
        self.index = {a: i for i, a in enumerate(atoms)}
        self.rows: dict[tuple[int, ...], tuple[float, float]] = {}

    def see(self, group: frozenset[Atom], cell: Cell, truth: int, *, blanket: bool) -> None:
        """One published figure (the same sum seen twice keeps the tighter bounds)."""
        if not group:
            assert cell.display == "0", cell
            return
        lo, hi = box(cell, truth, blanket=blanket)
        idx = tuple(sorted(self.index[a] for a in group))
        old_lo, old_hi = self.rows.get(idx, (0, math.inf))
        self.rows[idx] = (max(lo, old_lo), min(hi, old_hi))

    def feasible(self, group: frozenset[Atom], lo: float, hi: float) -> bool:
        """Is there a data set consistent with every figure seen whose sum over ``group`` is
        between ``lo`` and ``hi``?"""
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        inf = highspy.kHighsInf
        n = len(self.atoms)
        h.addVars(n, [0.0] * n, [1000.0] * n)
        h.changeColsIntegrality(n, list(range(n)), [highspy.HighsVarType.kInteger] * n)
        rows = [*self.rows.items(), (tuple(sorted(self.index[a] for a in group)), (lo, hi))]
        for idx, (row_lo, row_hi) in rows:
            h.addRow(row_lo, inf if row_hi == math.inf else row_hi, len(idx), idx, [1.0] * len(idx))
        h.run()
        status = h.getModelStatus()
        assert status in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kInfeasible)
        return status == highspy.HighsModelStatus.kOptimal

    def other_value(self, group: frozenset[Atom], truth: int, *, shown_star: bool) -> bool:
        """Could the sum over ``group`` be something other than ``truth``: in 1 to 7 for a
        `*`, and at all for an ``x`` over a `*` (an ``x`` looks the same over a rounded
        figure, so a reader who finds it is 7 or more cannot tell 7 from 8 or 9)."""
        top = RULE.suppress_up_to if shown_star else math.inf
        return self.feasible(group, truth + 1, top) or (
            truth > 1 and self.feasible(group, 1, truth - 1)
        )
