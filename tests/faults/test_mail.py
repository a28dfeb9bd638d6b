"""Mail under faults, with real processes: `celery worker` subprocesses on the real Redis
broker and the PostgreSQL test database, sending to an SMTP server of our own (aiosmtpd)
that counts what it accepted by Message-ID.

- A worker SIGKILLed after the server accepted the message: it is not sent again.
- The database lost in the narrow window between the server accepting and the row being
  marked sent: it is sent again, under the same Message-ID (recognised as the same message).
- A mail server that accepts connections and never answers: nothing hangs, no transaction
  or row lock is held meanwhile, in-app notices still go, and once it answers every email
  goes out once.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications import tasks
from notifications.models import Channel, Delivery
from tests.faults.tools import (
    SmtpServer,
    TcpProxy,
    service_env,
    start_celery_worker,
    stop,
    wait_for,
)
from tests.notifications.test_worker import planned_unpublished

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def worker_env(smtp_port: int, name: str, queue: str, **extra: str) -> dict[str, str]:
    db = settings.DATABASES["default"]
    return service_env(
        DATABASE_URL=(
            f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
            f"?application_name={name}"
        ),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        CELERY_QUEUE=queue,
        **extra,
    )


def backend_states(name: str) -> Counter[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT state, wait_event_type FROM pg_stat_activity WHERE application_name = %s",
            [name],
        )
        return Counter(f"{state}/{wait or '-'}" for state, wait in cursor.fetchall())


def lapse_leases() -> None:
    """As the lease's three minutes would: a dead sender's claim is given up."""
    past = timezone.now() - dt.timedelta(minutes=1)
    Delivery.objects.filter(sent_at__isnull=True).update(leased_until=past, not_before=past)


@pytest.fixture
def names():
    run = uuid.uuid4().hex[:8]
    return f"h14-mail-{run}", f"h14-mail-q-{run}"


def test_worker_killed_after_the_server_accepted_sends_no_duplicate(org, guardian, names):
    name, queue = names
    planned_unpublished(org)
    row = Delivery.objects.get(recipient=guardian, channel=Channel.EMAIL)

    with SmtpServer() as smtp:
        # given a mail server that takes the message and then keeps the client waiting
        smtp.handler.stall_quit.set()
        first = start_celery_worker(worker_env(smtp.port, name, queue))
        try:
            tasks.deliver.apply_async(args=[row.pk], queue=queue)
            assert wait_for(lambda: smtp.handler.quits_waiting >= 1, timeout=60)
            # when the worker is SIGKILLed there
            stop(first, sig=9)
        finally:
            stop(first, sig=9)
        smtp.handler.stall_quit.clear()

        # then the send was recorded before the goodbye: no lease to lapse, nothing again
        row.refresh_from_db()
        assert row.sent_at is not None
        lapse_leases()
        second = start_celery_worker(worker_env(smtp.port, name, queue))
        try:
            tasks.sweep.apply_async(queue=queue)
            tasks.deliver.apply_async(args=[row.pk], queue=queue)
            time.sleep(4)
        finally:
            stop(second)
        handler = smtp.handler

    assert (len(handler.message_ids), handler.delivered, handler.duplicated) == (1, 1, 0)
    assert handler.recipients == [guardian.email]


def test_database_lost_before_the_send_is_recorded_resends_under_the_same_message_id(
    org, guardian, names
):
    # (A worker SIGKILLed in this window cannot be staged: PostgreSQL finishes and commits
    # an UPDATE it already received even when its client is dead. Losing the database
    # between the server's 250 and the UPDATE leaves the row exactly as such a kill would.)
    name, queue = names
    planned_unpublished(org)
    row = Delivery.objects.get(recipient=guardian, channel=Channel.EMAIL)
    db = settings.DATABASES["default"]

    with SmtpServer() as smtp, TcpProxy(db["HOST"], int(db["PORT"])) as db_proxy:
        env = worker_env(smtp.port, name, queue)
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@127.0.0.1:{db_proxy.port}/{db['NAME']}"
            f"?application_name={name}"
        )
        worker = start_celery_worker(env)
        try:
            # given the message received, its 250 withheld while the database goes away
            smtp.handler.hold_data.set()
            tasks.deliver.apply_async(args=[row.pk], queue=queue)
            assert wait_for(smtp.handler.accepted.is_set, timeout=60)
            db_proxy.cut()
            smtp.handler.hold_data.clear()
            time.sleep(1.5)  # the worker records nothing: its database is gone
            row.refresh_from_db()
            assert row.sent_at is None and row.leased_until is not None

            # when the database is back (same worker, no restart) and the lease has lapsed
            db_proxy.restore()
            lapse_leases()
            tasks.sweep.apply_async(queue=queue)
            assert wait_for(lambda: len(smtp.handler.message_ids) >= 2, timeout=60)
            tasks.sweep.apply_async(queue=queue)
            time.sleep(2)
        finally:
            stop(worker)
        handler = smtp.handler

    # then two copies reached the server, and they are one message: the same Message-ID
    assert (len(handler.message_ids), handler.delivered, handler.duplicated) == (2, 1, 1)
    row.refresh_from_db()
    assert row.sent_at is not None


def test_a_mail_server_that_never_answers_holds_nothing_and_mail_follows_once_it_does(
    org, guardian, lead, names
):
    name, queue = names
    for _ in range(3):
        planned_unpublished(org)  # 3 concerns: 6 emails, 6 in-app notices
    Delivery.objects.update(not_before=timezone.now() - dt.timedelta(minutes=1))

    with SmtpServer() as smtp, TcpProxy("127.0.0.1", smtp.port) as mail_proxy:
        # given a mail server that accepts connections and never says a word
        mail_proxy.stall.set()
        env = worker_env(mail_proxy.port, name, queue, EMAIL_TIMEOUT="2")
        worker = start_celery_worker(env)
        try:
            started = time.monotonic()
            tasks.sweep.apply_async(queue=queue)
            in_app = Delivery.objects.filter(channel=Channel.IN_APP, sent_at__isnull=False)
            email = Delivery.objects.filter(channel=Channel.EMAIL)
            assert wait_for(lambda: in_app.count() == 6, timeout=30)
            assert wait_for(lambda: email.filter(attempts__gte=1).exists(), timeout=30)
            stalled_for = time.monotonic() - started
            # then no transaction or row lock is open while the server hangs
            states = [backend_states(name) for _ in range(20) if not time.sleep(0.05)]
            assert not any(s["idle in transaction/Client"] for s in states), states
            assert email.filter(sent_at__isnull=False).count() == 0
            assert mail_proxy.stalled, "the worker never reached the mail server"

            # when the server answers again (and the rows' short retry is due)
            mail_proxy.stall.clear()
            Delivery.objects.filter(sent_at__isnull=True).update(
                not_before=timezone.now() - dt.timedelta(minutes=1)
            )
            back = time.monotonic()
            tasks.sweep.apply_async(queue=queue)
            assert wait_for(lambda: len(smtp.handler.message_ids) >= 6, timeout=30)
            drained_in = time.monotonic() - back
            tasks.sweep.apply_async(queue=queue)
            time.sleep(1.5)
        finally:
            stop(worker)
        handler = smtp.handler

    # then every email went out once, quickly, and the hang cost one EMAIL_TIMEOUT
    assert (len(handler.message_ids), handler.delivered, handler.duplicated) == (6, 6, 0)
    assert sorted(Counter(handler.recipients).values()) == [3, 3]
    assert not Delivery.objects.filter(sent_at__isnull=True).exists()
    assert stalled_for < 20 and drained_in < 15
