"""The sweeper: the safety net that plans missed events and sends whatever is due."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from notifications.models import Delivery
from notifications.services.planning import events_plan_missed
from notifications.services.sending import LEASE, send_one

logger = logging.getLogger(__name__)

# Rows younger than this are left to the worker whose task was enqueued for them.
SEND_GRACE = dt.timedelta(seconds=15)
# A sweep stops claiming after this long (under the task's soft time limit).
SWEEP_BUDGET_SECONDS = 40.0


def deliveries_claim(*, now: dt.datetime | None = None, batch: int = 100) -> list[int]:
    """Claim due, unsent deliveries for this sweeper. Rows another sweeper or a worker holds
    are skipped (SKIP LOCKED on PostgreSQL); the lease lapses if this process dies."""
    now = now or timezone.now()
    with transaction.atomic():
        due = Delivery.objects.filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=now),
            sent_at__isnull=True,
            not_before__lte=now - SEND_GRACE,
        ).order_by("not_before", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:batch])
        Delivery.objects.filter(pk__in=ids).update(leased_until=now + LEASE)
    return ids


def _release(ids: list[int]) -> None:
    if ids:
        Delivery.objects.filter(pk__in=ids, sent_at__isnull=True).update(leased_until=None)


class _Senders:
    """Sends a sweep's claimed rows: ``concurrency`` threads, each on one SMTP connection
    for all its messages (a connection per message cost more than the message). The first
    "mail server away" stops every thread; what they had not sent is released at once."""

    def __init__(self, *, now: dt.datetime, concurrency: int) -> None:
        self.now = now
        self.concurrency = max(1, concurrency)
        self.server_away = threading.Event()

    def _run(self, ids: list[int], outcomes: list[str], threaded: bool, leased: bool) -> None:
        mail_connection = get_connection(fail_silently=False)
        try:
            for position, pk in enumerate(ids):
                if self.server_away.is_set():
                    if leased:
                        _release(ids[position:])
                    return
                outcome = send_one(pk, self.now, leased=leased, mail_connection=mail_connection)
                outcomes.append(outcome)
                if outcome == "unavailable":
                    self.server_away.set()
        finally:
            with contextlib.suppress(Exception):  # a server that hung up: nothing to close
                mail_connection.close()
            if threaded:
                connection.close()  # this thread's own database connection, back to the pool

    def send(self, ids: list[int], *, leased: bool = True) -> list[str]:
        outcomes: list[str] = []
        # A caller inside a transaction (a test, a management command's atomic block) has
        # rows other connections cannot see: send on this thread.
        if self.concurrency == 1 or len(ids) < 2 or connection.in_atomic_block:
            self._run(ids, outcomes, False, leased)
            return outcomes
        shares = [ids[i :: self.concurrency] for i in range(self.concurrency)]
        threads = [
            threading.Thread(target=self._run, args=(share, outcomes, True, leased), daemon=True)
            for share in shares
            if share
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return outcomes


@dataclass(frozen=True)
class SweepResult:
    planned: int
    sent: int
    failed: int


def deliveries_sweep(
    *, now: dt.datetime | None = None, budget_seconds: float | None = None
) -> SweepResult:
    """The safety net: plan missed events, then send whatever is due and still unsent, as
    fast as the mail server takes it (``EMAIL_CONCURRENCY`` at once), until nothing is due,
    the server is away, or ``budget_seconds`` is spent (the next sweep goes on)."""
    fixed_now = now is not None
    now = now or timezone.now()
    started = time.monotonic()
    budget = SWEEP_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    planned = events_plan_missed(now=now)
    now = max(now, timezone.now())  # planning took time; its rows are due from when it ran
    concurrency = settings.SPEAKUP_EMAIL_CONCURRENCY
    senders = _Senders(now=now, concurrency=concurrency)
    due_now = [p.delivery_id for p in planned if p.not_before <= now]
    outcomes = senders.send(due_now, leased=False)  # a worker may hold these: not ours
    while not senders.server_away.is_set() and time.monotonic() - started < budget:
        claimed = deliveries_claim(now=now, batch=max(50, 10 * concurrency))
        if not claimed:
            break
        outcomes += senders.send(claimed)
        if not fixed_now:
            now = timezone.now()
    if senders.server_away.is_set():
        logger.warning("mail server unavailable: sweep stopped, the rest goes on the next one")
    return SweepResult(
        planned=len(planned),
        sent=outcomes.count("sent"),
        failed=outcomes.count("failed") + outcomes.count("unavailable"),
    )
