"""Sending one delivery, exactly once per key.

An email: ``delivery_send`` claims the row (a lease, committed), sends, then marks it sent
(committed), so no transaction or row lock is open while the mail server is talked to. Two
runs of the same task (a redelivered message, a sweeper overlapping a worker) meet at the
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
import smtplib
import time

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications import content, live, selectors
from notifications.models import Channel, Delivery, Notification
from notifications.services.recipients import reporter_email_address

logger = logging.getLogger(__name__)

# Longer than any send can take (EMAIL_TIMEOUT per SMTP step, the Celery hard time limit),
# so a live sender's row is never taken over; a dead one's is, after this.
LEASE = dt.timedelta(minutes=3)
BACKOFF_CAP = dt.timedelta(hours=1)


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
    outcome = send_one(delivery_id, now or timezone.now(), leased=False, mail_connection=None)
    return "failed" if outcome == "unavailable" else outcome


def send_one(
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
