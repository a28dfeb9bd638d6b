"""Reads for health and metrics: counts and ages only, never a case's content or reference."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from notifications.models import Delivery, PlannedEvent, PlannerCursor
from workflow.models import OPEN_STATES, Case, CaseEvent
from workflow.timeliness import overdue_q

# An event is not counted as unplanned while its own post-commit receiver may still run.
UNPLANNED_GRACE = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class ServiceFigures:
    open_by_status_route: dict[tuple[str, str], int]
    overdue: int
    backlog: int
    backlog_oldest_seconds: float
    unplanned_events: int
    failing: int
    failed_attempts: int


def outbox_oldest_age(*, now: dt.datetime | None = None) -> float:
    """Seconds the oldest due, unsent delivery has waited (0 when there is none)."""
    now = now or timezone.now()
    oldest = Delivery.objects.filter(sent_at__isnull=True, not_before__lte=now).aggregate(
        m=Min("not_before")
    )["m"]
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def service_figures(*, now: dt.datetime | None = None) -> ServiceFigures:
    now = now or timezone.now()
    open_rows = (
        Case.objects.filter(status__in=OPEN_STATES)
        .values_list("status", "route")
        .annotate(n=Count("id"))
        .order_by()
    )
    unsent = Delivery.objects.filter(sent_at__isnull=True)
    due = unsent.filter(not_before__lte=now)
    failed = unsent.filter(attempts__gt=0).aggregate(n=Count("id"), a=Sum("attempts"))
    cursor = PlannerCursor.objects.filter(name="events").values_list("safe_event_id", flat=True)
    above = cursor.first() or 0
    unplanned = (
        CaseEvent.objects.filter(pk__gt=above, created_at__lt=now - UNPLANNED_GRACE)
        .exclude(pk__in=PlannedEvent.objects.filter(event_id__gt=above).values("event_id"))
        .count()
    )
    return ServiceFigures(
        open_by_status_route={(s, r): n for s, r, n in open_rows},
        overdue=Case.objects.filter(Q(status__in=OPEN_STATES) & overdue_q(now)).count(),
        backlog=due.count(),
        backlog_oldest_seconds=outbox_oldest_age(now=now),
        unplanned_events=unplanned,
        failing=failed["n"] or 0,
        failed_attempts=failed["a"] or 0,
    )
