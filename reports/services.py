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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from concerns.selectors import (
    ConcernWindow,
    concern_category_links,
    concern_standard_links,
    organisation_ids_of,
)
from reports.fastpaths import CaseMark, case_mark_sql
from reports.models import Grain, MonthlyCount, MonthlyDuration, OpenCase, RollupMonth
from reports.periods import add_months, financial_year_of, month_bounds, month_of
from workflow.models import OPEN_STATES, EventKind, Status
from workflow.selectors import (
    CaseFact,
    case_facts,
    case_row_for_rollups,
    harmed_case_ids,
    open_cases_of,
)

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
        EventKind.BUNDLE_DOWNLOADED,
        EventKind.FILE_ATTACHED,
    }
)


@dataclass
class _Tally:
    counts: Counter[tuple[int, dt.date, str, str]] = field(default_factory=Counter)
    durations: Counter[tuple[int, dt.date, str, int]] = field(default_factory=Counter)


def _whole_days(start: dt.datetime, end: dt.datetime) -> int:
    return max(0, int((end - start).total_seconds() // 86400))


def _tally(window: ConcernWindow) -> _Tally:
    """Count every dimension for the concerns of ``window``, by organisation-month."""
    tally = _Tally()
    key_of: dict[int, tuple[int, dt.date]] = {}
    case_key: dict[int, tuple[int, dt.date]] = {}
    for fact in case_facts(window=window):
        key = (fact.organisation_id, fact.month)
        key_of[fact.concern_id] = key
        case_key[fact.case_id] = key
        _count_fact(tally, key, fact)
    if not key_of:
        return tally
    # A concern committed after the first read is skipped here: its own refresh, queued on
    # its commit, waits for our locks and then counts it.
    for dimension, links in (
        ("category", concern_category_links(window=window)),
        ("standard", concern_standard_links(window=window)),
    ):
        for concern_id, value in links:
            if concern_id in key_of:
                tally.counts[(*key_of[concern_id], dimension, value)] += 1
    for case_id in harmed_case_ids(window=window):
        if case_id in case_key:
            tally.counts[(*case_key[case_id], "detriment", "yes")] += 1
    return tally


def _count_fact(tally: _Tally, key: tuple[int, dt.date], fact: CaseFact) -> None:
    """Add one concern's dimensions, responses and durations to its organisation-month."""
    status = fact.status or Status.RECEIVED
    cells = [
        ("total", ""),
        ("route", fact.route),
        ("role", fact.reporter_role),
        ("group", fact.professional_group),
        ("department", str(fact.department_id or "none")),
        ("status", status),
    ]
    if fact.acknowledged_at is not None:
        cells.append(("response", "acknowledged"))
        if fact.acknowledged_at <= fact.acknowledge_due_at:
            cells.append(("response", "acknowledged_within"))
        tally.durations[
            (*key, "acknowledge", _whole_days(fact.raised_at, fact.acknowledged_at))
        ] += 1
    if fact.first_feedback_at is not None:
        cells.append(("response", "feedback"))
        if fact.feedback_due_at is not None and fact.first_feedback_at <= fact.feedback_due_at:
            cells.append(("response", "feedback_within"))
        tally.durations[
            (*key, "feedback", _whole_days(fact.raised_at, fact.first_feedback_at))
        ] += 1
    if fact.status == Status.CLOSED and fact.closed_at is not None:
        cells.append(("response", "closed"))
        tally.durations[(*key, "close", _whole_days(fact.raised_at, fact.closed_at))] += 1
    if fact.status in OPEN_STATES:
        cells.append(("response", "open"))
    if fact.status == Status.REFERRED:
        cells.append(("referral", fact.referral_destination or "other"))
    if fact.upheld:
        cells.append(("outcome", fact.upheld))
    if fact.speak_up_again:
        cells.append(("speak_up_again", fact.speak_up_again))
    tally.counts.update((*key, dimension, value) for dimension, value in cells)


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


Rollup = TypeVar("Rollup", MonthlyCount, MonthlyDuration)


def _derive_grains(organisation_id: int, months: Iterable[dt.date]) -> None:
    """Recompute the quarter and year rows covering ``months`` from the month rows."""
    for grain, length in GRAIN_MONTHS.items():
        for start in sorted({_grain_start(grain, m) for m in months}):
            span = Q(
                organisation_id=organisation_id,
                month__gte=start,
                month__lt=add_months(start, length),
            )
            for_span = _GrainSpan(organisation_id, grain, start, span)
            _derive_grain(MonthlyCount, ("dimension", "value"), for_span)
            _derive_grain(MonthlyDuration, ("measure", "days"), for_span)


@dataclass(frozen=True)
class _GrainSpan:
    """One quarter's or year's rows of an organisation, and the month rows they sum."""

    organisation_id: int
    grain: str
    start: dt.date
    months: Q


def _derive_grain(model: type[Rollup], keys: tuple[str, str], span: _GrainSpan) -> None:
    """One grain's rows of one rollup table, summed from its month rows."""
    model.objects.filter(span.months, grain=span.grain).delete()
    summed = (
        model.objects.filter(span.months, grain=Grain.MONTH)
        .values(*keys)
        .annotate(n=Sum("count"))
        .values_list(*keys, "n")
    )
    model.objects.bulk_create(
        model(
            organisation_id=span.organisation_id,
            grain=span.grain,
            month=span.start,
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
    _write(_tally(ConcernWindow((organisation_id,), raised_from=start, raised_before=end)))
    _derive_grains(organisation_id, [month])


def rollups_on_case_event(
    *, case_id: int, kind: str, case_row: Mapping[str, Any] | None = None
) -> None:
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
        case_row = case_row_for_rollups(case_id=case_id)
        if case_row is None:
            return
    mark = CaseMark(
        case_id=case_id,
        organisation_id=case_row["organisation_id"],
        # Case.raised_at is copied from the concern, so this is the concern's month.
        month=month_of(case_row["raised_at"]),
        is_open=case_row["status"] in OPEN_STATES,
        due_at=case_row["due_at"],
    )
    case_mark_sql(mark=mark)


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
    ids = organisation_ids_of(ids=organisation_ids)
    window = ConcernWindow(None if organisation_ids is None else tuple(ids))
    # Lock the months first: a refresh queued meanwhile waits, then recomputes its month.
    list(RollupMonth.objects.select_for_update().filter(organisation_id__in=ids))
    tally = _tally(window)
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
            for pk, org_id, due in open_cases_of(organisation_ids=ids)
        ),
        batch_size=5000,
    )
    return len(ids)


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
]
