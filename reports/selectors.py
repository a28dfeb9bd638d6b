"""Reads for reports, scoped by who is asking, and only ever from the rollup tables."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from concerns.selectors import (
    department_names,
    organisation_get,
    organisation_ids_for_user,
    organisations_by_name,
)
from reports import policies
from reports.fastpaths import RollupSum, rollup_sum_sql
from reports.models import (
    Grain,
    MonthlyCount,
    MonthlyDuration,
    NationalFigure,
    OpenCase,
    ReturnSchema,
)
from reports.periods import Period, PeriodInvalid, add_months
from workflow.errors import CaseNotFound, NotPermitted

if TYPE_CHECKING:
    from concerns.models import Organisation

TREND_MONTHS = 24  # SPC needs a long baseline whatever period is chosen


class ReportNotFound(CaseNotFound):
    """An organisation the member may not see is reported as not found (a 404)."""


class ScopeInvalid(PeriodInvalid):
    """A choice of organisations not offered (a 400, like a bad period)."""


@dataclass(frozen=True)
class ReportScope:
    organisations: tuple[Organisation, ...]
    period: Period
    # Every organisation the member may choose: the disclosure family (reports.family).
    family: tuple[int, ...] = ()

    @property
    def organisation_ids(self) -> list[int]:
        return [o.pk for o in self.organisations]

    @property
    def family_ids(self) -> list[int]:
        return list(self.family) or self.organisation_ids


def _account(user: policies.Actor) -> AbstractBaseUser:
    """The signed-in account behind an actor a policy has let through: a receipt holder or
    an anonymous visitor has no organisations (and no policy lets one through)."""
    if not isinstance(user, AbstractBaseUser):
        raise NotPermitted("Reports are for members of staff.")
    return user


def report_organisations_for_user(*, user: policies.Actor) -> list[Organisation]:
    if not policies.may_view_reports(user):
        raise NotPermitted("Reports are for committee members and lead guardians.")
    ids = organisation_ids_for_user(user=_account(user))
    return organisations_by_name(ids=ids)


def report_scope_for_user(
    *, user: policies.Actor, period: Period, organisation_ids: Sequence[int] = ()
) -> ReportScope:
    """One of the member's organisations, or all of them (the default).

    Other sets are refused: with any set of organisations, two sets differing by one would
    give that one's figures by difference, outside what the disclosure family covers."""
    allowed = report_organisations_for_user(user=user)
    family = tuple(sorted(o.pk for o in allowed))
    by_id = {o.pk: o for o in allowed}
    if any(pk not in by_id for pk in organisation_ids):
        raise ReportNotFound("Organisation not found.")
    chosen = sorted(set(organisation_ids))
    if not chosen or chosen == list(family):
        return ReportScope(tuple(allowed), period, family)
    if len(chosen) > 1:
        raise ScopeInvalid("Choose one organisation, or all of yours.")
    return ReportScope((by_id[chosen[0]],), period, family)


@dataclass(frozen=True)
class RawFigures:
    """Unrounded figures: never shown to a committee member without ``Disclosure``."""

    counts: dict[tuple[str, str], int]
    by_organisation: dict[int, int]
    trend: list[tuple[dt.date, int]]
    durations: dict[str, dict[int, int]]
    open_now: int
    overdue_now: int
    departments: dict[str, str] = field(default_factory=dict)

    def n(self, dimension: str, value: str = "") -> int:
        return self.counts.get((dimension, value), 0)

    def values(self, dimension: str) -> dict[str, int]:
        return {v: n for (d, v), n in self.counts.items() if d == dimension}

    def sum(self, dimension: str) -> int:
        return sum(self.values(dimension).values())

    def measure(self, measure: str) -> int:
        """A "dimension:value" cell, or "dimension:*" for the sum over the dimension."""
        dimension, _, value = measure.partition(":")
        return self.sum(dimension) if value == "*" else self.n(dimension, value)


@dataclass(frozen=True)
class FigureSums:
    """The dashboard's five sums over the rollups, for a period."""

    counts: RollupSum  # (dimension, value) over the period
    by_organisation: RollupSum  # total per organisation over the period
    open_now: RollupSum  # open cases, whenever raised: every year row
    trend: RollupSum  # total per month over the trend's months
    durations: RollupSum  # (measure, days) over the period

    def all(self) -> tuple[RollupSum, ...]:
        return (self.counts, self.by_organisation, self.open_now, self.trend, self.durations)


def figure_sums_for(*, period: Period) -> FigureSums:
    """A year or quarter reads its own pre-summed rows; other periods sum months."""
    if period.kind in ("year", "quarter"):
        grain = str(Grain.YEAR if period.kind == "year" else Grain.QUARTER)
        span = (period.first_month, period.first_month)
    else:
        grain, span = str(Grain.MONTH), (period.first_month, period.last_month)
    total = (("dimension", "total"),)
    trend = (_trend_start(period), period.last_month)
    return FigureSums(
        counts=RollupSum(MonthlyCount, ("dimension", "value"), grain, span),
        by_organisation=RollupSum(MonthlyCount, ("organisation_id",), grain, span, total),
        open_now=RollupSum(
            MonthlyCount,
            ("dimension",),
            str(Grain.YEAR),
            match=(("dimension", "response"), ("value", "open")),
        ),
        trend=RollupSum(MonthlyCount, ("month",), str(Grain.MONTH), trend, total),
        durations=RollupSum(MonthlyDuration, ("measure", "days"), grain, span),
    )


def _sums(orgs: Sequence[int], spec: RollupSum) -> dict[Any, int]:
    """{group value (a tuple for two columns): sum} of one rollup read.

    Plain SQL (reports.fastpaths.rollup_sum_sql): see benchmarks/README.md for why."""
    rows = rollup_sum_sql(spec=spec, organisation_ids=orgs)
    if len(spec.group) == 1:
        return {key: int(n) for key, n in rows}
    return {tuple(key): int(n) for *key, n in rows}


def _trend_start(period: Period) -> dt.date:
    return add_months(period.last_month, -(TREND_MONTHS - 1))


def _trend(first: dt.date, monthly: dict[Any, int]) -> list[tuple[dt.date, int]]:
    months = (add_months(first, i) for i in range(TREND_MONTHS))
    return [(month, monthly.get(month, 0)) for month in months]


def report_figures(*, scope: ReportScope, now: dt.datetime | None = None) -> RawFigures:
    now = now or timezone.now()
    orgs, sums = scope.organisation_ids, figure_sums_for(period=scope.period)
    first = _trend_start(scope.period)
    if not orgs:  # nobody's figures: nothing to read
        return RawFigures(
            counts={},
            by_organisation={},
            trend=_trend(first, {}),
            durations={},
            open_now=0,
            overdue_now=0,
        )
    # The rollups are a cache of the case tables: bring any month a recent change left stale
    # up to date before reading (usually nothing to do; beat refreshes every minute).
    from reports.services import rollups_refresh_stale

    rollups_refresh_stale(organisation_ids=orgs)
    counts = _sums(orgs, sums.counts)
    durations: dict[str, dict[int, int]] = defaultdict(dict)
    for (measure, days), n in _sums(orgs, sums.durations).items():
        durations[measure][days] = n
    return RawFigures(
        counts=counts,
        by_organisation=_sums(orgs, sums.by_organisation),
        trend=_trend(first, _sums(orgs, sums.trend)),
        durations=dict(durations),
        # Every open case, whenever raised, is counted in its raised month's rollup (kept
        # current above), so the yearly rows sum to it.
        open_now=sum(_sums(orgs, sums.open_now).values()),
        # Overdue depends on the clock, so it is counted from OpenCase: an index-only range
        # over the overdue cases alone.
        overdue_now=OpenCase.objects.filter(organisation_id__in=orgs, due_at__lt=now).count(),
        departments=_department_labels(orgs, shown={v for (d, v) in counts if d == "department"}),
    )


def _department_labels(orgs: Sequence[int], *, shown: set[str]) -> dict[str, str]:
    """ "Organisation: department" for the departments the figures show, by id (read by
    organisation: a short IN list, not one id per department)."""
    return {
        str(pk): f"{org}: {name}"
        for pk, name, org in department_names(organisation_ids=orgs)
        if str(pk) in shown
    }


def national_figures_for(*, period: Period) -> list[NationalFigure]:
    """The national figures for the period's financial year, else the latest published."""
    # One read of a small table (a handful of figures a year), chosen from in Python.
    by_year: dict[str, list[NationalFigure]] = defaultdict(list)
    for figure in NationalFigure.objects.all():
        by_year[figure.year].append(figure)
    if not by_year:
        return []
    return by_year.get(period.financial_year) or by_year[max(by_year)]


def return_schema_for(*, period: Period, version: str = "") -> ReturnSchema:
    schemas = ReturnSchema.objects.all()
    if version:
        # A NUL byte ("%00" in the query) is no version; PostgreSQL would refuse the query.
        schema = None if "\x00" in version else schemas.filter(version=version).first()
    else:
        schema = schemas.filter(effective_from__lte=period.first_month).first() or (
            schemas.order_by("effective_from").first()
        )
    if schema is None:
        raise ReportNotFound("No data return schema of that version.")
    return schema


def data_return_organisations_for_user(*, user: policies.Actor) -> list[Organisation]:
    if not policies.may_download_data_return(user):
        raise NotPermitted("The data return is for lead guardians.")
    ids = organisation_ids_for_user(user=_account(user))
    return organisations_by_name(ids=ids)


def data_return_organisation_for_user(
    *, user: AbstractBaseUser, organisation_id: int | None
) -> Organisation:
    """A lead guardian's own organisation (the only one if they serve just one)."""
    if not policies.may_download_data_return(user):
        raise NotPermitted("The data return is for lead guardians.")
    ids = organisation_ids_for_user(user=user)
    if organisation_id is None and len(ids) == 1:
        organisation_id = next(iter(ids))
    if organisation_id not in ids:
        raise ReportNotFound("Organisation not found.")
    return organisation_get(pk=organisation_id)
