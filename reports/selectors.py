"""Reads for reports, scoped by who is asking, and only ever from the rollup tables."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone

from concerns.models import Department, Organisation
from concerns.selectors import organisation_ids_for_user
from reports import policies
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


def report_organisations_for_user(*, user: policies.Actor) -> list[Organisation]:
    if not policies.may_view_reports(user):
        raise NotPermitted("Reports are for committee members and lead guardians.")
    ids = organisation_ids_for_user(user=user)
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


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


def _date(value: dt.date) -> object:
    """A date as this database's driver takes it (text on SQLite, as Django stores it)."""
    return connection.ops.adapt_datefield_value(value)


def _grain_sql(period: Period) -> tuple[str, list]:
    """A year or quarter reads its own pre-summed rows; other periods sum months."""
    if period.kind in ("year", "quarter"):
        grain = Grain.YEAR if period.kind == "year" else Grain.QUARTER
        return "grain = %s AND month = %s", [str(grain), _date(period.first_month)]
    return "grain = %s AND month >= %s AND month <= %s", [
        str(Grain.MONTH),
        _date(period.first_month),
        _date(period.last_month),
    ]


def _sum_rows(
    model: type, orgs: Sequence[int], where: str, params: list, group: str
) -> list[tuple]:
    """SELECT <group>, SUM(count) over a rollup table for some organisations.

    Plain SQL (the same on SQLite and PostgreSQL): the dashboard makes several of these
    reads per request, and building each through the ORM (an IN list of every
    organisation, expressions, converters) cost more than the database did at 40
    organisations. Only our own column names and placeholders are put in the text."""
    table = connection.ops.quote_name(model._meta.db_table)
    sql = (
        f"SELECT {group}, SUM(count) FROM {table} "  # noqa: S608
        f"WHERE organisation_id IN ({', '.join(['%s'] * len(orgs))}) AND {where} "
        f"GROUP BY {group}"
    )
    return _fetch(sql, [*orgs, *params])


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _as_date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value  # SQLite: text


def report_figures(*, scope: ReportScope, now: dt.datetime | None = None) -> RawFigures:
    now = now or timezone.now()
    orgs, period = scope.organisation_ids, scope.period
    first = add_months(period.last_month, -(TREND_MONTHS - 1))
    if not orgs:  # nobody's figures: nothing to read
        months = [(add_months(first, i), 0) for i in range(TREND_MONTHS)]
        return RawFigures(
            counts={}, by_organisation={}, trend=months, durations={}, open_now=0, overdue_now=0
        )
    # The rollups are a cache of the case tables: bring any month a recent change left stale
    # up to date before reading (usually nothing to do; beat refreshes every minute).
    from reports.services import rollups_refresh_stale

    rollups_refresh_stale(organisation_ids=orgs)
    in_period, in_period_params = _grain_sql(period)
    counts = {
        (dimension, value): int(n)
        for dimension, value, n in _sum_rows(
            MonthlyCount, orgs, in_period, in_period_params, "dimension, value"
        )
    }
    by_org = {
        organisation_id: int(n)
        for organisation_id, n in _sum_rows(
            MonthlyCount,
            orgs,
            f"{in_period} AND dimension = %s",
            [*in_period_params, "total"],
            "organisation_id",
        )
    }
    # Open now: every open case, whenever raised, is counted in its raised month's rollup
    # (kept current above), so the yearly rows sum to it.
    open_now = sum(
        int(n)
        for _, n in _sum_rows(
            MonthlyCount,
            orgs,
            "grain = %s AND dimension = %s AND value = %s",
            [str(Grain.YEAR), "response", "open"],
            "dimension",
        )
    )
    monthly = {
        _as_date(month): int(n)
        for month, n in _sum_rows(
            MonthlyCount,
            orgs,
            "grain = %s AND dimension = %s AND month >= %s AND month <= %s",
            [str(Grain.MONTH), "total", _date(first), _date(period.last_month)],
            "month",
        )
    }
    trend = [
        (add_months(first, i), monthly.get(add_months(first, i), 0)) for i in range(TREND_MONTHS)
    ]
    durations: dict[str, dict[int, int]] = defaultdict(dict)
    for measure, days, n in _sum_rows(
        MonthlyDuration, orgs, in_period, in_period_params, "measure, days"
    ):
        durations[measure][days] = int(n)
    # Overdue now depends on the clock, so it is counted from OpenCase: an index-only range
    # over the overdue cases alone.
    placeholders = ", ".join(["%s"] * len(orgs))
    open_table = connection.ops.quote_name(OpenCase._meta.db_table)
    (overdue_now,) = _fetch(
        f"SELECT COUNT(*) FROM {open_table} "  # noqa: S608
        f"WHERE organisation_id IN ({placeholders}) AND due_at < %s",
        [*orgs, connection.ops.adapt_datetimefield_value(now)],
    )[0]
    # Named by the organisations' departments (a short IN list, not one id per department).
    shown = {v for (d, v) in counts if d == "department"}
    department, organisation = (
        connection.ops.quote_name(m._meta.db_table) for m in (Department, Organisation)
    )
    departments = {
        str(pk): f"{org}: {name}"
        for pk, name, org in _fetch(
            f"SELECT d.id, d.name, o.name FROM {department} d "  # noqa: S608
            f"JOIN {organisation} o ON o.id = d.organisation_id "
            f"WHERE d.organisation_id IN ({placeholders})",
            list(orgs),
        )
        if str(pk) in shown
    }
    return RawFigures(
        counts=counts,
        by_organisation=by_org,
        trend=trend,
        durations=dict(durations),
        open_now=open_now,
        overdue_now=overdue_now,
        departments=departments,
    )


def national_figures_for(*, period: Period) -> list[NationalFigure]:
    """The national figures for the period's financial year, else the latest published."""
    # One read of a small table (a handful of figures a year), chosen from in Python.
    by_year: dict[int, list[NationalFigure]] = defaultdict(list)
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
    ids = organisation_ids_for_user(user=user)
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


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
    return Organisation.objects.get(pk=organisation_id)
