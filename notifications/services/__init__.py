"""Turning recorded case events into deliveries, and delivering them exactly once per key.

By purpose: ``recipients`` (who hears of an event), ``planning`` (the deliveries an event
or a digest makes, written once), ``sending`` (one delivery: claim, send, mark sent),
``sweeping`` (the safety net that plans missed events and sends what is due), ``retention``
(erasure with this app's reporter-linked rows) and ``inbox`` (marking notifications read).
Callers use the names re-exported here; a test that changes a module's setting patches
that module (``planning.PLAN_GRACE``, ``sweeping.SEND_GRACE``).
"""

from notifications.services.inbox import notification_mark_all_read, notification_mark_read
from notifications.services.planning import (
    PLAN_GRACE,
    Pending,
    deliveries_plan_for_event,
    deliveries_plan_for_user,
    events_plan_missed,
)
from notifications.services.recipients import reporter_email_address
from notifications.services.retention import retention_sweep
from notifications.services.sending import LEASE, delivery_send, message_id
from notifications.services.sweeping import (
    SEND_GRACE,
    SweepResult,
    deliveries_claim,
    deliveries_sweep,
)

__all__ = [
    "LEASE",
    "PLAN_GRACE",
    "SEND_GRACE",
    "Pending",
    "SweepResult",
    "deliveries_claim",
    "deliveries_plan_for_event",
    "deliveries_plan_for_user",
    "deliveries_sweep",
    "delivery_send",
    "events_plan_missed",
    "message_id",
    "notification_mark_all_read",
    "notification_mark_read",
    "reporter_email_address",
    "retention_sweep",
]
