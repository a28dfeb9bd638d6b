"""Hand-written SQL of reports/, quarantined here.

Each statement sits beside the ORM query it replaces, and tests/reports/test_fastpaths.py
shows that both give the same rows (or leave the same tables) over varied data, on SQLite
and on PostgreSQL. One is kept only while a benchmark in one sitting shows that it matters
(benchmarks/README.md, "Reports fast paths"). Only our own table and column names, and
placeholders, are ever put into the text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Sum
from django.utils import timezone

from reports.models import MonthlyCount, MonthlyDuration, OpenCase, RollupMonth

# A parameter as the database drivers take it (django-stubs' own _SQLType, less containers).
SQLParam = None | bool | int | float | str | dt.date | dt.datetime

# --- Rollup sums: the dashboard's reads (reports.selectors.report_figures) ---


@dataclass(frozen=True)
class RollupSum:
    """``SELECT <group>, SUM(count)`` over a rollup table for some organisations.

    ``months`` is the first and last month read (inclusive; one month reads ``month =``,
    so a year or quarter reads its own pre-summed row), or None for every month;
    ``match`` is further ``column = value`` conditions."""

    model: type[MonthlyCount] | type[MonthlyDuration]
    group: tuple[str, ...]
    grain: str
    months: tuple[dt.date, dt.date] | None = None
    match: tuple[tuple[str, str], ...] = ()


def rollup_sum_orm(*, spec: RollupSum, organisation_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """The ORM's query: what ``rollup_sum_sql`` must give, row for row."""
    rows = spec.model.objects.filter(
        organisation_id__in=list(organisation_ids), grain=spec.grain, **dict(spec.match)
    )
    if spec.months is not None:
        first, last = spec.months
        rows = rows.filter(month=first) if first == last else rows.filter(month__range=spec.months)
    summed = rows.order_by().values(*spec.group).annotate(n=Sum("count"))
    return list(summed.values_list(*spec.group, "n"))


def rollup_sum_sql(*, spec: RollupSum, organisation_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """The same read as plain SQL (the same text on SQLite and PostgreSQL)."""
    if not organisation_ids:
        return []  # as the ORM answers an empty IN, without asking the database
    q = connection.ops.quote_name
    group = ", ".join(q(column) for column in spec.group)
    where = [f"organisation_id IN ({', '.join(['%s'] * len(organisation_ids))})", "grain = %s"]
    params: list[SQLParam] = [*organisation_ids, spec.grain]
    if spec.months is not None:
        first, last = spec.months
        where.append("month = %s" if first == last else "month >= %s AND month <= %s")
        params += [_date(first)] if first == last else [_date(first), _date(last)]
    for column, value in spec.match:
        where.append(f"{q(column)} = %s")
        params.append(value)
    sql = (
        f"SELECT {group}, SUM(count) FROM {q(spec.model._meta.db_table)} "  # noqa: S608
        f"WHERE {' AND '.join(where)} GROUP BY {group}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    if "month" not in spec.group:
        return rows
    at = spec.group.index("month")
    return [(*row[:at], _as_date(row[at]), *row[at + 1 :]) for row in rows]


def _date(value: dt.date) -> SQLParam:
    """A date as this database's driver takes it (text on SQLite, as Django stores it)."""
    return connection.ops.adapt_datefield_value(value)


def _as_date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value  # SQLite: text


# --- Rollup bookkeeping after a case event (reports.services.rollups_on_case_event) ---


@dataclass(frozen=True)
class CaseMark:
    """What a case event leaves in the rollups at once: the case's row in OpenCase (kept
    while it is open, with its next due time) and its organisation-month marked stale."""

    case_id: int
    organisation_id: int
    month: dt.date
    is_open: bool
    due_at: dt.datetime | None


@transaction.atomic
def case_mark_orm(*, mark: CaseMark) -> None:
    """The ORM's writes (one transaction: BEGIN, two statements, COMMIT)."""
    if mark.is_open:
        open_case = OpenCase(
            case_id=mark.case_id, organisation_id=mark.organisation_id, due_at=mark.due_at
        )
        OpenCase.objects.bulk_create(
            [open_case],
            update_conflicts=True,
            unique_fields=["case"],
            update_fields=["organisation", "due_at"],
        )
    else:
        OpenCase.objects.filter(case_id=mark.case_id).delete()
    month = RollupMonth(
        organisation_id=mark.organisation_id,
        month=mark.month,
        refreshed_at=timezone.now(),
        stale=True,
    )
    RollupMonth.objects.bulk_create(
        [month],
        update_conflicts=True,
        unique_fields=["organisation", "month"],
        update_fields=["stale"],
    )


def case_mark_sql(*, mark: CaseMark) -> None:
    """The same writes as plain SQL: on PostgreSQL one statement (one round trip, its own
    transaction); elsewhere two statements under one commit."""
    open_sql, open_params = _open_case_sql(mark)
    # The month's row (shared by every case of the month) is written last, so that it is
    # locked only for the moment before the commit.
    stale_sql, stale_params = _mark_stale_sql(mark)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH open_case AS ({open_sql} RETURNING 1) {stale_sql}",
                [*open_params, *stale_params],
            )
            return
        with transaction.atomic():
            cursor.execute(open_sql, open_params)
            cursor.execute(stale_sql, stale_params)


def _open_case_sql(mark: CaseMark) -> tuple[str, list[SQLParam]]:
    table = connection.ops.quote_name(OpenCase._meta.db_table)
    if not mark.is_open:
        return f"DELETE FROM {table} WHERE case_id = %s", [mark.case_id]  # noqa: S608
    return (
        f"INSERT INTO {table} (case_id, organisation_id, due_at) VALUES (%s, %s, %s) "  # noqa: S608
        "ON CONFLICT (case_id) DO UPDATE "
        "SET organisation_id = excluded.organisation_id, due_at = excluded.due_at",
        [mark.case_id, mark.organisation_id, connection.ops.adapt_datetimefield_value(mark.due_at)],
    )


def _mark_stale_sql(mark: CaseMark) -> tuple[str, list[SQLParam]]:
    table = connection.ops.quote_name(RollupMonth._meta.db_table)
    return (
        f"INSERT INTO {table} (organisation_id, month, refreshed_at, stale) "  # noqa: S608
        "VALUES (%s, %s, %s, %s) ON CONFLICT (organisation_id, month) DO UPDATE SET stale = %s",
        [
            mark.organisation_id,
            _date(mark.month),
            connection.ops.adapt_datetimefield_value(timezone.now()),
            True,
            True,
        ],
    )


# --- Planner statistics after a bulk load (no ORM equivalent) ---


def tables_analyze(models_: Iterable[type[models.Model]]) -> None:
    """Refresh the planner's statistics after a bulk load (and, on PostgreSQL outside a
    transaction, the visibility map, so the covering indexes answer without the heap).

    Autovacuum would get there in time, where it is on; until then PostgreSQL plans the
    rollup reads from empty-table guesses (a sort of every row instead of a hash)."""
    tables = [connection.ops.quote_name(m._meta.db_table) for m in models_]
    verb = (
        "VACUUM (ANALYZE)"
        if connection.vendor == "postgresql" and not connection.in_atomic_block
        else "ANALYZE"
    )
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{verb} {table}")
