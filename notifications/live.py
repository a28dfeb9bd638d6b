"""Channels groups and the sends to them. Messages carry ids and kinds, never content: a
page that hears one fetches what its user may see, so a socket is never the record."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Coroutine
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

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


def account_group(user_id: int) -> str:
    """Every socket of one account: told to close when the account's sessions end."""
    return f"account.{user_id}"


def account_ended_message() -> dict:
    return {"type": "account.ended"}


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


class _LayerLoop:
    """One event loop per process, on its own thread, for sends from synchronous code.

    ``async_to_sync`` runs each call on a fresh loop, and the Redis layer keeps its
    connections per loop, so every request that committed a change paid for new connections.
    Sends submitted here reuse the loop's connections. The in-memory layer (embedded mode) is
    bound to the loop its consumers run on, so it keeps ``async_to_sync``.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            # A forked child (gunicorn, Celery prefork) starts its own loop and thread.
            if self._loop is None or self._pid != os.getpid():
                self._loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                threading.Thread(
                    target=self._loop.run_forever, name="speakup-live-sends", daemon=True
                ).start()
            return self._loop

    def run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop())
        future.result(timeout=SEND_TIMEOUT_SECONDS + 1)


_layer_loop = _LayerLoop()


def _shares_a_loop(layer: Any) -> bool:
    return layer is not None and not isinstance(layer, InMemoryChannelLayer)


class LayerHealth:
    """Whether the channel layer answered lately, shared by every socket and send of the
    process. While it is down, failures are logged once when the outage starts and once
    when it ends (with how many were affected), not once per socket per retry; and sends
    from requests skip it for ``RETRY_SECONDS`` instead of each waiting for a timeout."""

    RETRY_SECONDS = 5.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.down_since = 0.0
        self.retry_at = 0.0
        self.affected = 0

    def usable(self) -> bool:
        return time.monotonic() >= self.retry_at

    def failed(self, exc: BaseException, what: str) -> None:
        with self._lock:
            now = time.monotonic()
            first = self.down_since == 0.0
            if first:
                self.down_since = now
            self.retry_at = now + self.RETRY_SECONDS
            self.affected += 1
        if first:
            logger.error(
                "channel layer unavailable (%s) on %s: live updates paused, sockets closed "
                "with 1013 and left to reconnect",
                type(exc).__name__,
                what,
            )

    def worked(self) -> None:
        if self.down_since == 0.0:
            return
        with self._lock:
            if self.down_since == 0.0:
                return
            down, self.down_since = time.monotonic() - self.down_since, 0.0
            affected, self.affected = self.affected, 0
            self.retry_at = 0.0  # it answered: sends need not wait out the retry pause
        logger.warning(
            "channel layer available again after %.1fs (%d sockets or sends affected)",
            down,
            affected,
        )


health = LayerHealth()


def groups_send(sends: list[tuple[str, dict]]) -> bool:
    """Best effort: True if sent. Failures are logged by class name only, once an outage."""
    if not sends:
        return True
    if not health.usable():
        health.affected += 1
        return False
    try:
        if _shares_a_loop(get_channel_layer()):
            _layer_loop.run(_send_all(sends))
        else:
            async_to_sync(_send_all)(sends)
    except Exception as exc:  # a live update is a courtesy, never worth failing for
        health.failed(exc, "send")
        return False
    health.worked()
    return True


def event_message(*, event_id: int, case_id: int, kind: str) -> dict:
    return {"type": "live.event", "event": event_id, "case": case_id, "kind": kind}


def notification_message() -> dict:
    return {"type": "live.event", "kind": "notification"}
