"""Rollup maintenance: the only writes reports/ makes.

A change to a case recomputes the rollups of its organisation-month from the source
tables (a few hundred concerns at national scale), under a row lock on that month, so the
rollups cannot drift from the data and two concurrent changes cannot double-count.
``rollups_rebuild`` recomputes everything (the ``rebuild_rollups`` command).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from concerns.models import Concern
from reports.models import Grain, MonthlyCount, MonthlyDuration, OpenCase, RollupMonth
from reports.periods import add_months, financial_year_of, month_bounds, month_of
from workflow.models import OPEN_STATES, Case, Detriment, DetrimentAnswer, EventKind, Status

logger = logging.getLogger(__name__)

# Events that cannot change any reported figure: no recomputation for them.
IRRELEVANT_KINDS = frozenset(
    {
        EventKind.NOTE,
        EventKind.MESSAGE_TO_REPORTER,
        EventKind.MESSAGE_FROM_REPORTER,
        EventKind.IDENTITY_VIEWED,
        EventKind.REMINDER,
        EventKind.ESCALATION,
        EventKind.FOLLOW_UP,
        EventKind.CONTENT_ERASED,
    }
)

_FACT_FIELDS = (
    "id",
    "organisation_id",
    "department_id",
    "route",
    "reporter_role",
    "professional_group",
    "raised_at",
    "case__id",
    "case__status",
    "case__acknowledged_at",
    "case__acknowledge_due_at",
    "case__first_feedback_at",
    "case__feedback_due_at",
    "case__closed_at",
    "case__referral_destination",
    "case__outcome__upheld",
    "case__speak_up_again__answer",
)


@dataclass
class _Tally:
    counts: Counter  # (org, month, dimension, value) -> n
    durations: Counter  # (org, month, measure, days) -> n


def _whole_days(start: dt.datetime, end: dt.datetime | None) -> int | None:
    if end is None:
        return None
    return max(0, int((end - start).total_seconds() // 86400))


def _tally(**where: object) -> _Tally:
    """Count every dimension for the concerns matching ``where`` (lookups on Concern), by
    organisation-month."""
    concerns = Q(**where)
    # The same filter through each link table's join (not an IN over a subquery): PostgreSQL
    # then reads only this organisation's rows by index.
    via = Q(**{f"concern__{k}": v for k, v in where.items()})
    via_case = Q(**{f"case__concern__{k}": v for k, v in where.items()})
    counts: Counter = Counter()
    durations: Counter = Counter()
    rows = (
        Concern.objects.filter(concerns)
        .annotate(month=TruncMonth("raised_at"))
        .values_list(*_FACT_FIELDS, "month")
    )
    key_of: dict[int, tuple[int, dt.date]] = {}
    case_key: dict[int, tuple[int, dt.date]] = {}
    for (
        concern_id,
        org,
        department,
        route,
        role,
        group,
        raised_at,
        case_id,
        status,
        acked,
        ack_due,
        feedback,
        feedback_due,
        closed,
        referral,
        upheld,
        again,
        month,
    ) in rows.iterator(chunk_size=5000):
        month = month.date() if isinstance(month, dt.datetime) else month
        key = (org, month)
        key_of[concern_id] = key
        case_key[case_id] = key
        add = counts.update
        add([(*key, "total", ""), (*key, "route", route), (*key, "role", role)])
        add([(*key, "group", group), (*key, "department", str(department or "none"))])
        add([(*key, "status", status or Status.RECEIVED)])
        if acked is not None:
            add([(*key, "response", "acknowledged")])
            if acked <= ack_due:
                add([(*key, "response", "acknowledged_within")])
            durations[(*key, "acknowledge", _whole_days(raised_at, acked))] += 1
        if feedback is not None:
            add([(*key, "response", "feedback")])
            if feedback_due is not None and feedback <= feedback_due:
                add([(*key, "response", "feedback_within")])
            durations[(*key, "feedback", _whole_days(raised_at, feedback))] += 1
        if status == Status.CLOSED and closed is not None:
            add([(*key, "response", "closed")])
            durations[(*key, "close", _whole_days(raised_at, closed))] += 1
        if status in OPEN_STATES:
            add([(*key, "response", "open")])
        if status == Status.REFERRED:
            add([(*key, "referral", referral or "other")])
        if upheld:
            add([(*key, "outcome", upheld)])
        if again:
            add([(*key, "speak_up_again", again)])
    if not key_of:
        return _Tally(counts, durations)
    through = Concern.categories.through.objects.filter(via).values_list(
        "concern_id", "category__slug"
    )
    # A concern committed after the first read is skipped here: its own refresh, queued on
    # its commit, waits for our locks and then counts it.
    for concern_id, slug in through.iterator(chunk_size=10000):
        if concern_id in key_of:
            counts[(*key_of[concern_id], "category", slug)] += 1
    through = Concern.standards.through.objects.filter(via).values_list(
        "concern_id", "qualitystandard__code"
    )
    for concern_id, code in through.iterator(chunk_size=10000):
        if concern_id in key_of:
            counts[(*key_of[concern_id], "standard", code)] += 1
    harmed = (
        Detriment.objects.filter(via_case, suffered=DetrimentAnswer.YES)
        .values_list("case_id", flat=True)
        .distinct()
    )
    for case_id in harmed.iterator(chunk_size=10000):
        if case_id in case_key:
            counts[(*case_key[case_id], "detriment", "yes")] += 1
    return _Tally(counts, durations)


def _write(tally: _Tally) -> None:
    MonthlyCount.objects.bulk_create(
        (
            MonthlyCount(organisation_id=o, month=m, dimension=d, value=v, count=n)
            for (o, m, d, v), n in tally.counts.items()
        ),
        batch_size=5000,
    )
    MonthlyDuration.objects.bulk_create(
        (
            MonthlyDuration(organisation_id=o, month=m, measure=s, days=d, count=n)
            for (o, m, s, d), n in tally.durations.items()
        ),
        batch_size=5000,
    )


def _grain_start(grain: str, month: dt.date) -> dt.date:
    if grain == Grain.YEAR:
        return dt.date(financial_year_of(month), 4, 1)
    return add_months(month, -((month.month - 4) % 3))  # the first month of its quarter


GRAIN_MONTHS = {Grain.QUARTER: 3, Grain.YEAR: 12}


def _derive_grains(organisation_id: int, months: Iterable[dt.date]) -> None:
    """Recompute the quarter and year rows covering ``months`` from the month rows."""
    for grain, length in GRAIN_MONTHS.items():
        for start in sorted({_grain_start(grain, m) for m in months}):
            span = Q(
                organisation_id=organisation_id,
                month__gte=start,
                month__lt=add_months(start, length),
            )
            for model, keys in (
                (MonthlyCount, ("dimension", "value")),
                (MonthlyDuration, ("measure", "days")),
            ):
                model.objects.filter(span, grain=grain).delete()
                summed = (
                    model.objects.filter(span, grain=Grain.MONTH)
                    .values(*keys)
                    .annotate(n=Sum("count"))
                    .values_list(*keys, "n")
                )
                model.objects.bulk_create(
                    model(
                        organisation_id=organisation_id,
                        grain=grain,
                        month=start,
                        count=n,
                        **dict(zip(keys, key, strict=True)),
                    )
                    for *key, n in summed
                )


def _lock_month(organisation_id: int, month: dt.date) -> None:
    RollupMonth.objects.get_or_create(
        organisation_id=organisation_id, month=month, defaults={"refreshed_at": timezone.now()}
    )
    RollupMonth.objects.select_for_update().filter(
        organisation_id=organisation_id, month=month
    ).update(refreshed_at=timezone.now())


@transaction.atomic
def rollup_month_refresh(*, organisation_id: int, month: dt.date) -> None:
    """Recompute one organisation-month's rollups from the source tables."""
    # The year's first month is locked first: one refresh at a time per organisation-year,
    # since the quarter and year rows are shared by its months.
    _lock_month(organisation_id, _grain_start(Grain.YEAR, month))
    _lock_month(organisation_id, month)
    start, end = month_bounds(month)
    this_month = Q(organisation_id=organisation_id, grain=Grain.MONTH, month=month)
    MonthlyCount.objects.filter(this_month).delete()
    MonthlyDuration.objects.filter(this_month).delete()
    _write(_tally(organisation_id=organisation_id, raised_at__gte=start, raised_at__lt=end))
    _derive_grains(organisation_id, [month])


def _open_case_sql(
    case_id: int, organisation_id: int, status: str, due_at: dt.datetime | None
) -> tuple[str, list]:
    """Keep the case's row in OpenCase while it is open (an upsert), or drop it."""
    table = connection.ops.quote_name(OpenCase._meta.db_table)
    if status not in OPEN_STATES:
        return f"DELETE FROM {table} WHERE case_id = %s", [case_id]  # noqa: S608
    return (
        f"INSERT INTO {table} (case_id, organisation_id, due_at) VALUES (%s, %s, %s) "  # noqa: S608
        "ON CONFLICT (case_id) DO UPDATE "
        "SET organisation_id = excluded.organisation_id, due_at = excluded.due_at",
        [case_id, organisation_id, connection.ops.adapt_datetimefield_value(due_at)],
    )


def _mark_stale_sql(organisation_id: int, month: dt.date) -> tuple[str, list]:
    """Mark the organisation-month stale, creating its row the first time."""
    table = connection.ops.quote_name(RollupMonth._meta.db_table)
    return (
        f"INSERT INTO {table} (organisation_id, month, refreshed_at, stale) "  # noqa: S608
        "VALUES (%s, %s, %s, %s) ON CONFLICT (organisation_id, month) DO UPDATE SET stale = %s",
        [
            organisation_id,
            connection.ops.adapt_datefield_value(month),
            connection.ops.adapt_datetimefield_value(timezone.now()),
            True,
            True,
        ],
    )


def rollups_on_case_event(*, case_id: int, kind: str, case_row: dict | None = None) -> None:
    """Keep the rollups current after a case event (called after its commit).

    Recomputing an organisation-month reads every concern of that month, far too much work
    for the request that raised or moved one case. So the request only marks its month
    stale (an upsert of one row); the month is recomputed by ``rollups_refresh_stale`` —
    from Celery beat every minute, and before any report is read, so no reader ever sees a
    stale figure. Open/overdue-now is per case and cheap, so it stays immediate.

    ``case_row`` is the case's committed fields (workflow.signals.CASE_ROW_FIELDS), read
    once by the sender; without it they are read here.
    """
    if kind in IRRELEVANT_KINDS:
        return
    if case_row is None:
        case_row = (
            Case.objects.filter(pk=case_id)
            .values("organisation_id", "raised_at", "status", "due_at")
            .first()
        )
        if case_row is None:
            return
    organisation_id = case_row["organisation_id"]
    # Case.raised_at is copied from the concern, so this is the concern's month.
    month = month_of(case_row["raised_at"])
    open_sql, open_params = _open_case_sql(
        case_id, organisation_id, case_row["status"], case_row["due_at"]
    )
    # The month's row (shared by every case of the month) is written last, so that it is
    # locked only for the moment before the commit.
    mark_sql, mark_params = _mark_stale_sql(organisation_id, month)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement, so one round trip and its own transaction.
            cursor.execute(
                f"WITH open_case AS ({open_sql} RETURNING 1) {mark_sql}",
                [*open_params, *mark_params],
            )
        else:
            with transaction.atomic():  # one commit for both
                cursor.execute(open_sql, open_params)
                cursor.execute(mark_sql, mark_params)


def rollups_refresh_stale(*, organisation_ids: Iterable[int] | None = None) -> int:
    """Recompute every stale organisation-month (of some organisations); returns how many.

    The stale mark is cleared in the same transaction that recomputes the month, under its
    lock: a change committed meanwhile marks it stale again once that lock is released.
    """
    stale = RollupMonth.objects.filter(stale=True)
    if organisation_ids is not None:
        stale = stale.filter(organisation_id__in=list(organisation_ids))
    done = 0
    for organisation_id, month in stale.values_list("organisation_id", "month"):
        with transaction.atomic():
            claimed = RollupMonth.objects.filter(
                organisation_id=organisation_id, month=month, stale=True
            ).update(stale=False)
            if claimed:
                rollup_month_refresh(organisation_id=organisation_id, month=month)
                done += 1
    return done


@transaction.atomic
def rollups_rebuild(*, organisation_ids: Iterable[int] | None = None) -> int:
    """Recompute every rollup (or those of some organisations) in one transaction.

    One pass over each source table, not one per organisation: at national scale the link
    tables are read once rather than once per organisation.
    """
    from concerns.models import Organisation

    ids = list(
        Organisation.objects.values_list("pk", flat=True)
        if organisation_ids is None
        else Organisation.objects.filter(pk__in=list(organisation_ids)).values_list("pk", flat=True)
    )
    scope = {} if organisation_ids is None else {"organisation_id__in": ids}
    # Lock the months first: a refresh queued meanwhile waits, then recomputes its month.
    list(RollupMonth.objects.select_for_update().filter(organisation_id__in=ids))
    tally = _tally(**scope)
    months: dict[int, set[dt.date]] = {}
    for org_id, month, *_ in tally.counts:
        months.setdefault(org_id, set()).add(month)
    now = timezone.now()
    RollupMonth.objects.filter(organisation_id__in=ids).delete()
    RollupMonth.objects.bulk_create(
        [
            RollupMonth(organisation_id=org_id, month=m, refreshed_at=now)
            for org_id, ms in months.items()
            for m in ms
        ],
        batch_size=5000,
    )
    MonthlyCount.objects.filter(organisation_id__in=ids).delete()
    MonthlyDuration.objects.filter(organisation_id__in=ids).delete()
    _write(tally)
    for org_id, ms in months.items():
        _derive_grains(org_id, ms)
    OpenCase.objects.filter(organisation_id__in=ids).delete()
    OpenCase.objects.bulk_create(
        (
            OpenCase(case_id=pk, organisation_id=org_id, due_at=due)
            for pk, org_id, due in Case.objects.filter(
                organisation_id__in=ids, status__in=OPEN_STATES
            ).values_list("pk", "organisation_id", "due_at")
        ),
        batch_size=5000,
    )
    return len(ids)


def tables_analyze(models: Iterable[type]) -> None:
    """Refresh the planner's statistics after a bulk load (and, on PostgreSQL outside a
    transaction, the visibility map, so the covering indexes answer without the heap).

    Autovacuum would get there in time, where it is on; until then PostgreSQL plans the
    rollup reads from empty-table guesses (a sort of every row instead of a hash)."""
    tables = [connection.ops.quote_name(m._meta.db_table) for m in models]
    verb = (
        "VACUUM (ANALYZE)"
        if connection.vendor == "postgresql" and not connection.in_atomic_block
        else "ANALYZE"
    )
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{verb} {table}")


ROLLUP_MODELS = (RollupMonth, MonthlyCount, MonthlyDuration, OpenCase)


def rollups_for_month_counts() -> dict[str, int]:
    """Row counts of the rollup tables (for the command's report)."""
    return {
        "months": RollupMonth.objects.count(),
        "counts": MonthlyCount.objects.count(),
        "durations": MonthlyDuration.objects.count(),
        "open": OpenCase.objects.count(),
    }


__all__ = [
    "rollup_month_refresh",
    "rollups_for_month_counts",
    "rollups_on_case_event",
    "rollups_rebuild",
    "tables_analyze",
]
