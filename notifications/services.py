"""Turning recorded case events into deliveries, and delivering them exactly once per key.

Planning: ``deliveries_plan_for_event`` runs after the event's transaction commits (from the
signal receiver) and again from the sweeper for any event that never got planned. It writes
a ``PlannedEvent`` marker and the ``Delivery`` rows in one transaction, so it happens once.

Sending an email: ``delivery_send`` claims the row (a lease, committed), sends, then marks it
sent (committed), so no transaction or row lock is open while the mail server is talked to.
Two runs of the same task (a redelivered message, a sweeper overlapping a worker) meet at the
claim: the second finds the row leased or sent and does nothing. A process killed after the
server took the message and before it was marked sent sends it again once the lease lapses,
under the same Message-ID. In-app deliveries are marked sent in the transaction that writes
them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import random
import smtplib
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, User
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F, Max, Min, Q
from django.utils import timezone

from concerns.roles import Role
from notifications import content, live, selectors
from notifications.models import (
    Channel,
    Delivery,
    Notification,
    PlannedEvent,
    PlannerCursor,
    Topic,
)
from workflow.models import Case, CaseEvent, EventKind, Status
from workflow.retention import case_content_erase, cases_due_for_erasure
from workflow.selectors import guardians_for_case

logger = logging.getLogger(__name__)

# The receiver plans at once; the sweeper (every 15 s) only picks up events older than
# this. Planning and sending are idempotent, so a short grace costs at most repeated work;
# it keeps the delay after a broker outage well under a minute.
PLAN_GRACE = dt.timedelta(seconds=20)
# No transaction stays open this long, so events older than it are all visible.
CURSOR_SETTLE = dt.timedelta(minutes=10)
SEND_GRACE = dt.timedelta(seconds=15)
# Longer than any send can take (EMAIL_TIMEOUT per SMTP step, the Celery hard time limit),
# so a live sender's row is never taken over; a dead one's is, after this.
LEASE = dt.timedelta(minutes=3)
# A sweep stops claiming after this long (under the task's soft time limit).
SWEEP_BUDGET_SECONDS = 40.0
BACKOFF_CAP = dt.timedelta(hours=1)

REPORTER_TRANSITIONS = {
    Status.ACKNOWLEDGED,
    Status.FEEDBACK_GIVEN,
    Status.CLOSED,
    Status.REFERRED,
    Status.REOPENED,
}


@dataclass(frozen=True)
class Pending:
    delivery_id: int
    not_before: dt.datetime


# --- planning --------------------------------------------------------------------------


def _staff(users: Iterable[User | None]) -> list[User]:
    return [u for u in users if u is not None and u.is_active]


def _leads_for(case: Case) -> list[User]:
    return list(
        get_user_model()
        .objects.filter(
            groups__name=Role.LEAD_GUARDIAN,
            memberships__organisation_id=case.organisation_id,
            is_active=True,
        )
        .distinct()
    )


def _handler_or_guardians(case: Case) -> list[User]:
    # No query when nobody is assigned (a null key is not fetched).
    if case.assigned_guardian is not None:
        return [case.assigned_guardian]
    return list(guardians_for_case(case=case))


def _staff_recipients(event: CaseEvent, case: Case) -> tuple[str, list[User]]:
    kind = event.kind
    if kind == EventKind.RAISED:
        return Topic.NEW_CASE, list(guardians_for_case(case=case))
    if kind == EventKind.ASSIGNED and case.assigned_guardian is not None:
        return Topic.ASSIGNED, [case.assigned_guardian]
    if kind == EventKind.MESSAGE_FROM_REPORTER:
        return Topic.REPORTER_REPLY, _handler_or_guardians(case)
    if kind == EventKind.REMINDER:
        return Topic.REMINDER, _handler_or_guardians(case)
    if kind == EventKind.ESCALATION:
        return Topic.ESCALATION, _leads_for(case)
    return "", []


def _tells_reporter(event: CaseEvent) -> bool:
    if event.kind in {EventKind.MESSAGE_TO_REPORTER, EventKind.FOLLOW_UP}:
        return True
    return event.kind == EventKind.TRANSITION and event.to_state in REPORTER_TRANSITIONS


def reporter_email_address(case: Case) -> str:
    """The address an open or confidential reporter opted in to, or ''. Anonymous: never."""
    concern = case.concern
    if concern.is_anonymous or not concern.email_updates or concern.reporter is None:
        return ""
    candidates: tuple[str, str] = (concern.reporter.email, concern.reporter_contact.strip())
    for candidate in candidates:
        try:
            validate_email(candidate)
        except ValidationError:
            continue
        return candidate
    return ""


def _anonymous_delay() -> dt.timedelta:
    low, high = settings.SPEAKUP_ANONYMOUS_NOTIFY_DELAY
    return dt.timedelta(seconds=random.uniform(low, max(low, high)))


def _planned_rows(event: CaseEvent, case: Case, now: dt.datetime) -> list[Delivery]:
    not_before = now
    if event.kind == EventKind.RAISED and case.route == "anonymous":
        not_before = now + _anonymous_delay()
    rows: list[Delivery] = []
    topic, staff = _staff_recipients(event, case)
    for user in _staff(staff):
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
    if _tells_reporter(event) and reporter_id is not None and reporter_email_address(case):
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


# --- sending ---------------------------------------------------------------------------


def _backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(seconds=30 * 2 ** max(0, attempts - 1)), BACKOFF_CAP)


# The mail server itself is away (refused, silent, hung up): not this message's fault. The
# row is retried soon without growing back-off, so that the sweeper's next probe finds the
# server back and the backlog goes out at once (issue 14: a 518-row backlog took 6.5 min).
TRANSPORT_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError)
TRANSPORT_RETRY = dt.timedelta(seconds=10)
# After such a failure, delivery tasks in this process do not connect for this long: each
# would wait EMAIL_TIMEOUT while the queue behind it grows. The sweeper still probes.
MAIL_AWAY_SECONDS = 5.0
_mail_away = {"until": 0.0}


def message_id(delivery_id: int) -> str:
    """The same Message-ID every time this delivery is sent: a resend after a crash (the
    server took the message, the process died before recording it) is the same message to
    the mail system and the recipient's client. Keyed, so it does not count deliveries."""
    token = hmac.new(
        settings.SPEAKUP_PEPPER.encode(), f"message-id:{delivery_id}".encode(), hashlib.sha256
    ).hexdigest()[:20]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "speakup.invalid"
    return f"<speakup.{delivery_id}.{token}@{domain}>"


def _claim(delivery_id: int, now: dt.datetime, *, leased: bool) -> bool:
    """Take the row for one send, committed before the mail server is spoken to: no
    transaction or row lock is held while SMTP runs. A sweeper's own lease counts."""
    rows = Delivery.objects.filter(pk=delivery_id, sent_at__isnull=True, not_before__lte=now)
    if not leased:
        rows = rows.filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
    return bool(rows.update(leased_until=now + LEASE))


def _deliver_in_app(delivery_id: int, now: dt.datetime, *, leased: bool) -> str:
    """In-app: nothing leaves the database, so marking sent and writing the notification
    share one transaction."""
    rows = Delivery.objects.filter(pk=delivery_id, sent_at__isnull=True, not_before__lte=now)
    if not leased:
        rows = rows.filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
    with transaction.atomic():
        if not rows.update(sent_at=now, leased_until=None):
            return "skipped"
        delivery = Delivery.objects.only("recipient_id", "case_id", "topic").get(pk=delivery_id)
        Notification.objects.get_or_create(
            delivery=delivery,
            defaults={
                "recipient_id": delivery.recipient_id,
                "case_id": delivery.case_id,
                "topic": delivery.topic,
            },
        )
        group = live.user_group(delivery.recipient_id)
        transaction.on_commit(lambda: live.groups_send([(group, live.notification_message())]))
    return "sent"


def _address(delivery: Delivery) -> str:
    if not delivery.to_reporter:
        return delivery.recipient.email
    # A reporter's notice is always about their case; without one there is nobody to tell.
    return reporter_email_address(delivery.case) if delivery.case is not None else ""


def _email_message(delivery: Delivery, mail_connection: BaseEmailBackend) -> EmailMessage | None:
    address = _address(delivery)
    if not address:
        return None
    digest = (
        selectors.digest_counts(user=delivery.recipient) if delivery.topic == "digest" else None
    )
    email = content.email_for(delivery, digest=digest)
    return EmailMessage(
        subject=email.subject,
        body=email.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Message-ID": message_id(delivery.pk)},
        connection=mail_connection,
    )


def _send_email(delivery_id: int, now: dt.datetime, mail_connection: BaseEmailBackend) -> str:
    """Claim (committed), send, mark sent (committed). A crash between the last two resends
    later under the same Message-ID; a crash before the send only delays it."""
    delivery = Delivery.objects.select_related(
        "recipient", "case", "case__concern", "case__concern__reporter"
    ).get(pk=delivery_id)
    message = _email_message(delivery, mail_connection)
    if message is None:
        Delivery.objects.filter(pk=delivery_id).update(
            sent_at=now, leased_until=None, last_error="NoAddress"
        )
        return "sent"
    mail_connection.open()  # kept open by us: QUIT comes after the row is marked sent
    message.send(fail_silently=False)
    Delivery.objects.filter(pk=delivery_id).update(sent_at=timezone.now(), leased_until=None)
    return "sent"


def delivery_send(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    """Send one delivery if it is due and not yet sent: "sent", "skipped" or "failed"."""
    outcome = _send_one(delivery_id, now or timezone.now(), leased=False, mail_connection=None)
    return "failed" if outcome == "unavailable" else outcome


def _send_one(
    delivery_id: int, now: dt.datetime, *, leased: bool, mail_connection: BaseEmailBackend | None
) -> str:
    """As ``delivery_send``, and "unavailable" when the mail server is away (the row is
    retried soon, its back-off not grown). ``leased``: the caller (a sweep) holds the row."""
    try:
        channels = Delivery.objects.filter(pk=delivery_id).values_list("channel", flat=True)
        channel = channels.first()
        if channel is None:
            return "skipped"
        if channel == Channel.IN_APP:
            return _deliver_in_app(delivery_id, now, leased=leased)
        if not _claim(delivery_id, now, leased=leased):
            return "skipped"
        if mail_connection is None and time.monotonic() < _mail_away["until"]:
            Delivery.objects.filter(pk=delivery_id, sent_at__isnull=True).update(
                leased_until=None, not_before=now + TRANSPORT_RETRY
            )
            return "unavailable"  # left to the sweeper's next probe
        own = mail_connection is None
        mail_connection = mail_connection or get_connection(fail_silently=False)
        try:
            return _send_email(delivery_id, now, mail_connection)
        finally:
            if own:
                with contextlib.suppress(Exception):  # sent and recorded; QUIT is courtesy
                    mail_connection.close()
    except TRANSPORT_ERRORS as exc:
        _mail_away["until"] = time.monotonic() + MAIL_AWAY_SECONDS
        _record_failure(delivery_id, exc, now, retry_in=TRANSPORT_RETRY)
        return "unavailable"
    except Exception as exc:
        _record_failure(delivery_id, exc, now)
        return "failed"


def _record_failure(
    delivery_id: int, exc: Exception, now: dt.datetime, retry_in: dt.timedelta | None = None
) -> None:
    delivery = Delivery.objects.filter(pk=delivery_id).only("attempts").first()
    if delivery is None:
        return
    attempts = delivery.attempts + 1
    Delivery.objects.filter(pk=delivery_id, sent_at__isnull=True).update(
        attempts=F("attempts") + 1,
        not_before=now + (retry_in or _backoff(attempts)),
        leased_until=None,
        last_error=type(exc).__name__[:120],
    )
    logger.warning(
        "delivery %s failed (attempt %d, %s); retrying later",
        delivery_id,
        attempts,
        type(exc).__name__,
    )


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
                outcome = _send_one(pk, self.now, leased=leased, mail_connection=mail_connection)
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


def retention_sweep(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Erase the content of every case whose time has come (workflow.retention), and with it
    what this app keeps that ties the case to its reporter: the deliveries sent to them.
    At most ``limit`` cases a run; returns how many were erased."""
    now = now or timezone.now()
    erased = 0
    for case_id in list(cases_due_for_erasure(now=now).values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            if case_content_erase(case_id=case_id, now=now):
                Delivery.objects.filter(
                    Q(case_id=case_id) | Q(event__case_id=case_id), to_reporter=True
                ).delete()
                erased += 1
    return erased


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


# --- in-app notifications --------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, user: AbstractBaseUser, notification_id: int) -> bool:
    """Mark one of the user's own notifications read; False if it is not theirs."""
    updated = Notification.objects.filter(
        pk=notification_id, recipient_id=user.pk, read_at__isnull=True
    ).update(read_at=timezone.now())
    return (
        bool(updated)
        or Notification.objects.filter(pk=notification_id, recipient_id=user.pk).exists()
    )


@transaction.atomic
def notification_mark_all_read(*, user: AbstractBaseUser) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
