"""Planning: which deliveries one recorded case event (or a digest) makes, written once.

``deliveries_plan_for_event`` runs after the event's transaction commits (from the signal
receiver) and again from the sweeper for any event that never got planned. It writes a
``PlannedEvent`` marker and the ``Delivery`` rows in one transaction, so it happens once.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from notifications.models import Channel, Delivery, PlannedEvent, PlannerCursor, Topic
from notifications.services.recipients import (
    reporter_email_address,
    staff_recipients,
    tells_reporter,
)
from workflow.models import Case, CaseEvent, EventKind

logger = logging.getLogger(__name__)

# The receiver plans at once; the sweeper (every 15 s) only picks up events older than
# this. Planning and sending are idempotent, so a short grace costs at most repeated work;
# it keeps the delay after a broker outage well under a minute.
PLAN_GRACE = dt.timedelta(seconds=20)
# No transaction stays open this long, so events older than it are all visible.
CURSOR_SETTLE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Pending:
    delivery_id: int
    not_before: dt.datetime


def _anonymous_delay() -> dt.timedelta:
    low, high = settings.SPEAKUP_ANONYMOUS_NOTIFY_DELAY
    return dt.timedelta(seconds=random.uniform(low, max(low, high)))


def _planned_rows(event: CaseEvent, case: Case, now: dt.datetime) -> list[Delivery]:
    not_before = now
    if event.kind == EventKind.RAISED and case.route == "anonymous":
        not_before = now + _anonymous_delay()
    rows: list[Delivery] = []
    topic, staff = staff_recipients(event, case)
    for user in staff:
        if user.pk == event.actor_id:
            continue  # nobody is told about their own action
        channels = [Channel.IN_APP] + ([Channel.EMAIL] if user.email else [])
        rows += [
            Delivery(
                key=f"e{event.pk}:u{user.pk}:{channel}",
                event=event,
                case=case,
                recipient=user,
                channel=channel,
                topic=topic,
                not_before=not_before,
            )
            for channel in channels
        ]
    reporter_id = case.concern.reporter_id
    if tells_reporter(event) and reporter_id is not None and reporter_email_address(case):
        rows.append(
            Delivery(
                key=f"e{event.pk}:u{reporter_id}:{Channel.EMAIL}",
                event=event,
                case=case,
                recipient_id=reporter_id,
                channel=Channel.EMAIL,
                topic=Topic.REPORTER_UPDATE,
                to_reporter=True,
                not_before=not_before,
            )
        )
    return rows


@transaction.atomic
def deliveries_plan_for_event(*, event_id: int) -> list[Pending]:
    """Plan who hears about one event. Idempotent: the second call plans nothing."""
    _, created = PlannedEvent.objects.get_or_create(event_id=event_id)
    if not created:
        return []
    event = CaseEvent.objects.get(pk=event_id)
    case = Case.objects.select_related("concern", "concern__reporter", "assigned_guardian").get(
        pk=event.case_id
    )
    rows = _planned_rows(event, case, timezone.now())
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return [
        Pending(pk, not_before)
        for pk, not_before in Delivery.objects.filter(
            key__in=[r.key for r in rows], sent_at__isnull=True
        ).values_list("id", "not_before")
    ]


def deliveries_plan_for_user(
    *, key: str, recipient: User, topic: str, case: Case | None = None
) -> list[Pending]:
    """Plan a notice that is not about one event (the daily digest), once per key."""
    channels = [Channel.IN_APP] + ([Channel.EMAIL] if recipient.email else [])
    rows = [
        Delivery(
            key=f"{key}:{channel}", case=case, recipient=recipient, channel=channel, topic=topic
        )
        for channel in channels
    ]
    existing = set(Delivery.objects.filter(key__in=[r.key for r in rows]).values_list("key"))
    rows = [r for r in rows if (r.key,) not in existing]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return [
        Pending(pk, not_before)
        for pk, not_before in Delivery.objects.filter(
            key__in=[r.key for r in rows], sent_at__isnull=True
        ).values_list("id", "not_before")
    ]


def events_plan_missed(*, now: dt.datetime | None = None, batch: int = 500) -> list[Pending]:
    """Plan events whose post-commit receiver never ran (the process died in between)."""
    now = now or timezone.now()
    cursor, _ = PlannerCursor.objects.get_or_create(name="events")
    missed = list(
        CaseEvent.objects.filter(
            pk__gt=cursor.safe_event_id,
            created_at__lt=now - PLAN_GRACE,
            notification_plan__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    pending: list[Pending] = []
    for event_id in missed:
        pending += deliveries_plan_for_event(event_id=event_id)
    _cursor_advance(cursor, now)
    if missed:
        logger.info("planned %d case events the receiver missed", len(missed))
    return pending


def _cursor_advance(cursor: PlannerCursor, now: dt.datetime) -> None:
    above = CaseEvent.objects.filter(pk__gt=cursor.safe_event_id)
    settled = above.filter(created_at__lt=now - CURSOR_SETTLE).aggregate(m=Max("pk"))["m"]
    if settled is None:
        return
    first_gap = above.filter(notification_plan__isnull=True).aggregate(m=Min("pk"))["m"]
    safe = settled if first_gap is None else min(settled, first_gap - 1)
    if safe > cursor.safe_event_id:
        PlannerCursor.objects.filter(pk=cursor.pk).update(safe_event_id=safe)
