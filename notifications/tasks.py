"""Celery tasks. Payloads are ids only; every task is safe to run twice (acks_late)."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from django.utils import timezone

from notifications import scheduling, services
from notifications.services import Pending

logger = logging.getLogger(__name__)


@shared_task(name="notifications.deliver", acks_late=True, ignore_result=True)
def deliver(delivery_id: int) -> str:
    return services.delivery_send(delivery_id=delivery_id)


@shared_task(name="notifications.plan", acks_late=True, ignore_result=True)
def plan(event_id: int) -> int:
    """Plan who hears about one committed case event, and send what is due now."""
    pending = services.deliveries_plan_for_event(event_id=event_id)
    enqueue(pending)
    return len(pending)


# A sweep stops claiming after SWEEP_BUDGET_SECONDS; its limits leave room for the sends
# under way to finish (each bounded by EMAIL_TIMEOUT), and stay below the delivery lease.
@shared_task(
    name="notifications.sweep",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=100,
    time_limit=120,
)
def sweep() -> dict[str, int]:
    result = services.deliveries_sweep()
    return {"planned": result.planned, "sent": result.sent, "failed": result.failed}


@shared_task(name="notifications.reminders", acks_late=True, ignore_result=True)
def reminders() -> dict[str, int]:
    """Reminders, escalations and follow-ups; their deliveries go out from the event
    receiver, or from the sweeper if this process dies first."""
    return {
        "reminders": scheduling.reminders_record(),
        "escalations": scheduling.escalations_record(),
        "follow_ups": scheduling.follow_ups_record(),
    }


@shared_task(name="notifications.digests", acks_late=True, ignore_result=True)
def digests() -> int:
    pending = scheduling.digests_plan()
    enqueue(pending)
    return len(pending)


@shared_task(name="notifications.retention", acks_late=True, ignore_result=True)
def retention() -> int:
    """The retention rule, once a day: erase the content of cases that ended long enough ago."""
    return services.retention_sweep()


# After a failed publish, this process stops trying for a while, so that with the broker
# down only one request pays the connection timeout; the sweeper sends what was skipped.
# Short, so that planning goes back to the worker soon after the broker returns (the sweeper
# catches what was skipped within PLAN_GRACE + one sweep interval either way).
BROKER_RETRY_AFTER_SECONDS = 5.0
_broker_down_until = 0.0


def plan_later(event_id: int) -> bool:
    """Publish the planning of one event; never raises. If it is not published (broker
    down), or is published and lost, ``events_plan_missed`` in the sweeper plans it."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    try:
        plan.apply_async(args=[event_id], retry=False)
    except Exception as exc:
        if getattr(plan.app.conf, "task_always_eager", False):
            # In process, a failure is the planner's own: logged, and left to the sweeper.
            logger.warning("planning event %s failed (%s)", event_id, type(exc).__name__)
            return False
        _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
        logger.warning(
            "broker unavailable (%s): event %s left for the sweeper", type(exc).__name__, event_id
        )
        return False
    return True


def enqueue(pending: list[Pending]) -> int:
    """Publish a delivery task per row; never raises. With the broker down this gives up
    within the broker timeouts and the sweeper sends the rows once it is back."""
    global _broker_down_until
    if not pending or time.monotonic() < _broker_down_until:
        return 0
    published = 0
    now = timezone.now()
    for item in pending:
        countdown = max(0.0, (item.not_before - now).total_seconds())
        try:
            deliver.apply_async(args=[item.delivery_id], countdown=countdown or None, retry=False)
        except Exception as exc:
            _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
            logger.warning(
                "broker unavailable (%s): %d deliveries left for the sweeper",
                type(exc).__name__,
                len(pending) - published,
            )
            return published
        published += 1
    return published
