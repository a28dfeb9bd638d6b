"""The post-commit hook: a case event was recorded, so push live updates, plan deliveries
and publish them. Nothing here may raise into the request that committed the event."""

from __future__ import annotations

import logging

from django.conf import settings

from concerns.models import Membership
from notifications import live, tasks
from workflow.models import EventKind

logger = logging.getLogger(__name__)


def _live_sends(*, event_id: int, case_id: int, kind: str, row: dict) -> list[tuple[str, dict]]:
    message = live.event_message(event_id=event_id, case_id=case_id, kind=kind)
    # Nobody can be watching a case that did not exist before this event's commit.
    sends = [] if kind == EventKind.RAISED else [(live.case_group(case_id), message)]
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


def on_case_event_recorded(
    sender: object,
    *,
    event_id: int,
    case_id: int,
    kind: str,
    case_row: dict | None = None,
    **_: object,
) -> None:
    if case_row is None:  # the case is gone; nothing to tell anyone
        return
    try:
        live.groups_send(_live_sends(event_id=event_id, case_id=case_id, kind=kind, row=case_row))
    except Exception as exc:
        logger.warning("live update for event %s failed (%s)", event_id, type(exc).__name__)
    # Who hears of it is planned by a worker (in process when jobs run eagerly); if the
    # broker loses it, the sweeper plans the event.
    tasks.plan_later(event_id)
