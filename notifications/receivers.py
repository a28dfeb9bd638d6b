"""The post-commit hook: a case event was recorded, so push live updates, plan deliveries
and publish them. Nothing here may raise into the request that committed the event."""

from __future__ import annotations

import logging

from django.conf import settings

from concerns.models import Membership
from notifications import live, services, tasks
from workflow.models import Case, EventKind

logger = logging.getLogger(__name__)


def _live_sends(*, event_id: int, case_id: int, kind: str) -> list[tuple[str, dict]]:
    case = Case.objects.filter(pk=case_id).values(
        "organisation_id", "assigned_guardian_id", "route"
    )
    row = case.first()
    if row is None:
        return []
    message = live.event_message(event_id=event_id, case_id=case_id, kind=kind)
    sends = [(live.case_group(case_id), message)]
    if kind in live.REPORTER_VISIBLE_KINDS:
        sends.append((live.concern_group(case_id), message))
    delayed = (
        kind == EventKind.RAISED
        and row["route"] == "anonymous"
        and max(settings.SPEAKUP_ANONYMOUS_NOTIFY_DELAY) > 0
    )
    if delayed:
        return sends  # the queue hears of it with the delayed notification, not now
    sends.append((live.organisation_group(row["organisation_id"]), message))
    handler = row["assigned_guardian_id"]
    if (
        handler
        and not Membership.objects.filter(
            user_id=handler, organisation_id=row["organisation_id"]
        ).exists()
    ):
        sends.append((live.user_group(handler), message))
    return sends


def on_case_event_recorded(sender: object, *, event_id: int, case_id: int, kind: str, **_) -> None:
    try:
        live.groups_send(_live_sends(event_id=event_id, case_id=case_id, kind=kind))
    except Exception as exc:
        logger.warning("live update for event %s failed (%s)", event_id, type(exc).__name__)
    try:
        pending = services.deliveries_plan_for_event(event_id=event_id)
    except Exception as exc:  # the sweeper plans it later
        logger.warning("planning event %s failed (%s)", event_id, type(exc).__name__)
        return
    tasks.enqueue(pending)
