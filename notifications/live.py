"""Channels groups and the sends to them. Messages carry ids and kinds, never content: a
page that hears one fetches what its user may see, so a socket is never the record."""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# A channel layer that is down or silent must not hold up the request that committed.
SEND_TIMEOUT_SECONDS = 2.0

# What a reporter's conversation page may hear about: never notes, triage or identity views.
REPORTER_VISIBLE_KINDS = frozenset(
    {"transition", "message_to_reporter", "message_from_reporter", "follow_up"}
)


def organisation_group(organisation_id: int) -> str:
    return f"queue.org.{organisation_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def case_group(case_id: int) -> str:
    return f"case.{case_id}"


def concern_group(case_id: int) -> str:
    return f"concern.{case_id}"


async def _send_all(sends: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    await asyncio.wait_for(
        asyncio.gather(*(layer.group_send(group, message) for group, message in sends)),
        timeout=SEND_TIMEOUT_SECONDS,
    )


def groups_send(sends: list[tuple[str, dict]]) -> bool:
    """Best effort: True if sent. Failures are logged by class name only."""
    if not sends:
        return True
    try:
        async_to_sync(_send_all)(sends)
    except Exception as exc:  # a live update is a courtesy, never worth failing for
        logger.warning("live update not sent (%s)", type(exc).__name__)
        return False
    return True


def event_message(*, event_id: int, case_id: int, kind: str) -> dict:
    return {"type": "live.event", "event": event_id, "case": case_id, "kind": kind}


def notification_message() -> dict:
    return {"type": "live.event", "kind": "notification"}
