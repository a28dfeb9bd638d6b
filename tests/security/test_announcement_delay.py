"""Time does not identify (issue 13): staff hear of a new anonymous concern only after a
random delay that is on by default, by every channel (email, in-app, live), and see its
arrival by the date only; deadlines still run from the exact time.

The adversary is a guardian who notes when the queue socket or an email arrives and asks
who was free to raise a concern a moment before.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from contextlib import contextmanager
from urllib.parse import urlparse

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from config.settings import _seconds_range
from notifications import services, tasks
from notifications.models import Delivery, Notification
from notifications.services import SEND_GRACE
from tests.api.conftest import client_for
from tests.factories import raise_concern
from workflow import timeliness
from workflow.models import Case

FORM_CATEGORY = "patient-safety"


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tasks._broker_down_until = 0.0
    cache.clear()  # throttle counters: earlier tests' raises must not count against these
    yield
    tasks._broker_down_until = 0.0


# --- the setting ----------------------------------------------------------------------------


def test_the_delay_is_on_by_default():
    # (no test of this suite's own sets it: this is what a deployment gets with no variable)
    if "SPEAKUP_ANONYMOUS_NOTIFY_DELAY" in os.environ:
        pytest.skip("SPEAKUP_ANONYMOUS_NOTIFY_DELAY is set in this environment")
    low, high = settings.SPEAKUP_ANONYMOUS_NOTIFY_DELAY
    assert (low, high) == (120, 600)
    assert _seconds_range("SPEAKUP_ANONYMOUS_NOTIFY_DELAY", "120-600") == (120, 600)


@pytest.mark.parametrize(
    ("text", "expected"), [("0", (0, 0)), ("300", (300, 300)), (" 60-90 ", (60, 90))]
)
def test_the_delay_is_set_by_one_variable(monkeypatch, text, expected):
    monkeypatch.setenv("SPEAKUP_ANONYMOUS_NOTIFY_DELAY", text)
    assert _seconds_range("SPEAKUP_ANONYMOUS_NOTIFY_DELAY", "120-600") == expected


@pytest.mark.parametrize("text", ["soon", "600-120", "-5", "1-2-3"])
def test_a_bad_delay_stops_the_start(monkeypatch, text):
    monkeypatch.setenv("SPEAKUP_ANONYMOUS_NOTIFY_DELAY", text)
    with pytest.raises(ValueError, match="SPEAKUP_ANONYMOUS_NOTIFY_DELAY"):
        _seconds_range("SPEAKUP_ANONYMOUS_NOTIFY_DELAY", "120-600")


# --- email and in-app -------------------------------------------------------------------------


def _raise_on_the_page(org, route="anonymous", **extra) -> Case:
    from concerns.models import Category

    form = {
        "organisation": org.pk,
        "categories": [Category.objects.get(slug=FORM_CATEGORY).pk],
        "description": "The night rota leaves the ward without a registrar.",
        "raised_elsewhere": "no",
        "reporter_role": "learner",
        "professional_group": "nursing_midwifery",
        "route": route,
    }
    response = Client(**extra).post("/raise/", form)
    assert response.status_code == 302, response.status_code
    return Case.objects.latest("pk")


@pytest.mark.django_db
def test_a_new_anonymous_concern_is_announced_only_after_the_default_delay(
    org, guardian, django_capture_on_commit_callbacks
):
    # Given the default delay, when a concern is raised anonymously through the page
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        case = _raise_on_the_page(org)

    # Then nobody is told yet: no email, no in-app notification
    assert mail.outbox == []
    assert not Notification.objects.exists()
    rows = list(Delivery.objects.filter(case=case))
    assert rows, "deliveries are planned at once"
    assert all(r.not_before >= before + dt.timedelta(seconds=120) for r in rows)
    assert all(r.not_before <= timezone.now() + dt.timedelta(seconds=600) for r in rows)
    # while the deadline runs from the exact moment it arrived
    assert case.due_at == timeliness.acknowledge_due(case.raised_at)

    # When the sweeper runs before the delay has passed, nothing goes out
    services.deliveries_sweep(now=before + dt.timedelta(seconds=110))
    assert mail.outbox == [] and not Notification.objects.exists()

    # and once it has passed, all of it does
    due = max(r.not_before for r in rows)
    services.deliveries_sweep(now=due + SEND_GRACE + dt.timedelta(seconds=1))
    assert [m.to for m in mail.outbox] == [[guardian.email]]
    assert Notification.objects.filter(recipient=guardian, case=case).count() == 1


@pytest.mark.django_db
def test_an_open_concern_is_announced_at_once(
    org, guardian, reporter, django_capture_on_commit_callbacks
):
    # (the control: without it the test above could pass with announcements broken)
    with django_capture_on_commit_callbacks(execute=True):
        raise_concern(org, route="open", reporter=reporter)
    assert [m.to for m in mail.outbox] == [[guardian.email]]


# --- live ---------------------------------------------------------------------------------


def _cookie(user) -> bytes:
    browser = Client()
    browser.force_login(user)
    return f"sessionid={browser.cookies['sessionid'].value}".encode()


def _socket(path: str, cookie: bytes) -> WebsocketCommunicator:
    from config.asgi import application

    return WebsocketCommunicator(
        application, path, headers=[(b"origin", b"http://localhost"), (b"cookie", cookie)]
    )


@pytest.mark.django_db(transaction=True)
def test_the_queue_socket_hears_of_an_anonymous_concern_only_after_the_delay(org, guardian):
    cookie = _cookie(guardian)

    async def run() -> tuple[list, list]:
        ws = _socket("/ws/queue/", cookie)
        connected, _ = await ws.connect()
        assert connected
        raised = await sync_to_async(raise_concern)(org, route="anonymous")
        at_once = []
        while not await ws.receive_nothing(timeout=0.5):
            at_once.append(await ws.receive_json_from())
        rows = await sync_to_async(list)(Delivery.objects.filter(case=raised.case))
        due = max(r.not_before for r in rows)
        await sync_to_async(services.deliveries_sweep)(
            now=due + SEND_GRACE + dt.timedelta(seconds=1)
        )
        later = []
        while not await ws.receive_nothing(timeout=0.5):
            later.append(await ws.receive_json_from())
        await ws.disconnect()
        return at_once, later

    at_once, later = async_to_sync(run)()
    assert at_once == []
    assert {"kind": "notification"} in later


# --- what staff see of the arrival ----------------------------------------------------------


@pytest.mark.django_db
def test_staff_see_an_anonymous_arrival_by_its_date_only(org, guardian, lead):
    # Given an anonymous concern that arrived at 14:37:12.345678 local time
    raised = raise_concern(org, route="anonymous")
    exact = timezone.make_aware(dt.datetime(2026, 11, 4, 14, 37, 12, 345678))
    Case.objects.filter(pk=raised.case.pk).update(
        raised_at=exact,
        last_activity_at=exact,
        acknowledge_due_at=timeliness.acknowledge_due(exact),
        due_at=timeliness.acknowledge_due(exact),
    )
    raised.case.events.update(created_at=exact)
    ref = raised.case.reference
    api = client_for(lead)

    # When staff read it through the API and the case page
    row = api.get("/api/v1/cases/").json()["results"][0]
    detail = api.get(f"/api/v1/cases/{ref}/").json()
    events = api.get(f"/api/v1/cases/{ref}/events/").json()
    browser = Client()
    browser.force_login(lead)
    page = browser.get(f"/cases/{ref}/").content.decode()

    # Then every moment of the arrival is midnight of its day, in every answer
    for shown in (row, detail):
        assert shown["raised_at"] == "2026-11-04T00:00:00Z"
        assert shown["last_activity_at"] == "2026-11-04T00:00:00Z"
        assert shown["due_at"] == "2026-11-06T00:00:00Z"  # two working days on, by date
    assert events[0]["kind"] == "raised" and events[0]["created_at"] == "2026-11-04T00:00:00Z"
    assert "14:37" not in page and "14:37" not in str([row, detail, events])
    assert "4 Nov 2026" in page
    # while the case itself keeps the exact time, and its deadline runs from it
    case = Case.objects.get(pk=raised.case.pk)
    assert case.raised_at == exact and case.due_at == timeliness.acknowledge_due(exact)


@pytest.mark.django_db
def test_an_open_concern_keeps_its_exact_time_for_staff(org, lead, reporter):
    raised = raise_concern(org, route="open", reporter=reporter)
    exact = timezone.make_aware(dt.datetime(2026, 11, 4, 14, 37, 12))
    Case.objects.filter(pk=raised.case.pk).update(raised_at=exact, last_activity_at=exact)
    detail = client_for(lead).get(f"/api/v1/cases/{raised.case.reference}/").json()
    assert detail["raised_at"] == "2026-11-04T14:37:12Z"


# --- the real worker and broker -------------------------------------------------------------


def _redis_up() -> bool:
    if not settings.REDIS_URL:
        return False
    url = urlparse(settings.REDIS_URL)
    try:
        socket.create_connection((url.hostname, url.port or 6379), timeout=2).close()
    except OSError:
        return False
    return True


def _reset_pools() -> None:
    from kombu import pools

    from config.celery import app

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def _worker():
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun
    from django import db

    from config.celery import app

    def close(**kwargs):
        db.connection.close()

    task_postrun.connect(close, weak=False)
    # A worker started earlier in this process leaves kombu's current event loop behind, and
    # a new worker's timers (ETA tasks) would go on that stopped loop.
    from kombu.asynchronous import set_event_loop

    set_event_loop(None)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    try:
        with start_worker(
            app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING"
        ):
            yield
    finally:
        task_postrun.disconnect(close)


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_announcement_after_the_delay_not_before(
    settings, org, guardian
):
    if not _redis_up():
        if os.environ.get("SPEAKUP_REQUIRE_SERVICES") == "1":
            raise RuntimeError("Redis is required for this test")
        pytest.skip("needs Redis and a real Celery worker")
    # Given a short delay, so the test can wait it out, and a worker on the real broker
    settings.SPEAKUP_ANONYMOUS_NOTIFY_DELAY = (4, 4)
    with _worker():
        start = time.monotonic()
        with transaction.atomic():  # committed: the post-commit hook publishes the plan
            raised = raise_concern(org, route="anonymous")
        case = raised.case

        def emailed() -> bool:
            return any(guardian.email in m.to for m in mail.outbox)

        # Then nothing arrives in the first seconds (the worker holds the task until its eta)
        assert not _wait_for(emailed, timeout=2.5)
        # and it arrives once the delay has passed
        assert _wait_for(emailed, timeout=15)
        assert time.monotonic() - start >= 4
    assert Delivery.objects.filter(case=case, sent_at__isnull=False).exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_sweeper_still_announces_it_after_the_delay(
    settings, org, guardian
):
    if not _redis_up():
        if os.environ.get("SPEAKUP_REQUIRE_SERVICES") == "1":
            raise RuntimeError("Redis is required for this test")
        pytest.skip("needs Redis (the broker that is then made unreachable)")
    # (a delay of at least 5 minutes, so that the sweep at 3 minutes is surely inside it)
    settings.SPEAKUP_ANONYMOUS_NOTIFY_DELAY = (300, 600)
    # Given the broker unreachable (a closed port) when an anonymous concern is raised
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    _reset_pools()
    try:
        with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0"):
            response = APIClient().post(
                "/api/v1/concerns/",
                {
                    "organisation": org.code,
                    "categories": [FORM_CATEGORY],
                    "description": "The night rota leaves the ward without a registrar.",
                    "route": "anonymous",
                },
                format="json",
            )
    finally:
        _reset_pools()
    # Then the concern is saved, and nobody has been told
    assert response.status_code == 201
    case = Case.objects.get(reference=response.json()["reference"])
    assert mail.outbox == []
    raised_at = case.raised_at

    # When the sweeper runs later: before the delay is over it plans but sends nothing
    services.deliveries_sweep(now=raised_at + dt.timedelta(minutes=3))
    rows = list(Delivery.objects.filter(case=case))
    assert rows and mail.outbox == []
    assert all(r.not_before > raised_at + dt.timedelta(minutes=3) for r in rows)
    # and after it, the announcement goes out
    due = max(r.not_before for r in rows)
    services.deliveries_sweep(now=due + SEND_GRACE + dt.timedelta(seconds=1))
    assert [m.to for m in mail.outbox] == [[guardian.email]]


def test_the_overdue_flag_does_not_give_away_the_time_of_day():
    from workflow.staff_view import overdue_for_staff

    due = timezone.make_aware(dt.datetime(2026, 11, 6, 14, 37, 12))  # 2 working days on
    just_after = due + dt.timedelta(minutes=1)
    next_day = timezone.make_aware(dt.datetime(2026, 11, 7, 0, 0, 1))

    def flag(route, now):
        return overdue_for_staff(route=route, due_kind="acknowledge", due_at=due, now=now)

    # an anonymous concern is shown overdue from the day after its due date, not the minute
    assert [flag("anonymous", t) for t in (just_after, next_day)] == [False, True]
    # an open one, at the exact moment (the control)
    assert [flag("open", t) for t in (due - dt.timedelta(minutes=1), just_after)] == [False, True]
