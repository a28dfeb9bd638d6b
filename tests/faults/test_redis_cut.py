"""Redis cut (through a TCP proxy of our own) while reporters raise and staff sign in: every
raise and sign-in works, throttles still count, and once Redis is back the notifications
follow, each once. Cache, broker and channel layer all go through the proxy; the database,
the worker and the mail are real (the worker runs in this process, mail to Django's outbox).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from contextlib import contextmanager
from urllib.parse import urlparse

import pytest
from celery.contrib.testing.worker import start_worker
from django import db
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings
from kombu import pools as kombu_pools
from rest_framework.test import APIClient

from concerns.models import Concern
from concerns.roles import Role
from config.celery import app
from notifications import tasks
from notifications.models import Delivery
from notifications.services import planning, sweeping
from tests.factories import PASSWORD, category, make_user, totp_code
from tests.faults.tools import TcpProxy, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _reset_broker_pools() -> None:
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def redis_through(proxy: TcpProxy):
    """Cache, broker and channel layer of this process all reach Redis via the proxy."""
    real = urlparse(settings.REDIS_URL)
    url = f"redis://127.0.0.1:{proxy.port}{real.path or '/0'}"
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [url], "prefix": "h14faults"},
        }
    }
    caches = {"default": {"BACKEND": "config.cache.FallbackRedisCache", "LOCATION": url}}
    _reset_broker_pools()
    try:
        with override_settings(CELERY_BROKER_URL=url, CACHES=caches, CHANNEL_LAYERS=layers):
            yield
    finally:
        _reset_broker_pools()


def page_form(org) -> dict:
    return {
        "organisation": org.pk,
        "department": "",
        "categories": [category("patient-safety").pk],
        "description": "Learners are left alone on nights without a registrar.",
        "outcome_hoped": "A safe rota.",
        "raised_elsewhere": "no",
        "reporter_role": "learner",
        "professional_group": "nursing_midwifery",
        "route": "anonymous",
    }


API_CONCERN = {
    "organisation": "RX1",
    "categories": ["patient-safety"],
    "description": "Students are left to run the ward at night.",
    "route": "anonymous",
}


def _close_worker_connection(**kwargs) -> None:
    db.connection.close()


def test_redis_cut_every_raise_and_sign_in_works_and_notifications_follow_once(
    org, guardian, lead, monkeypatch
):
    real = urlparse(settings.REDIS_URL)
    statuses: Counter[int] = Counter()
    raised = 0
    with TcpProxy(real.hostname, real.port or 6379) as proxy, redis_through(proxy):
        from django.core.cache import cache

        cache.set("speakup:probe", 1)  # the cache works through the proxy
        assert cache.get("speakup:probe") == 1 and cache.available

        # given Redis cut in the middle of the day
        proxy.cut()
        started = time.monotonic()

        # when reporters raise from the form and the API, and staff sign in both ways
        for i in range(5):
            response = Client(REMOTE_ADDR=f"10.1.0.{i}").post("/raise/", page_form(org))
            statuses[response.status_code] += 1
            raised += response.status_code == 302
        for i in range(5):
            response = APIClient(REMOTE_ADDR=f"10.2.0.{i}").post(
                "/api/v1/concerns/", API_CONCERN, format="json"
            )
            statuses[response.status_code] += 1
            raised += response.status_code == 201
        # (staff sign in with password and TOTP code: issue 15)
        token = APIClient().post(
            "/api/v1/auth/token/",
            {"username": "gina", "password": PASSWORD, "code": totp_code()},
            format="json",
        )
        statuses[token.status_code] += 1
        page = Client()
        signed_in = page.post("/accounts/login/", {"login": "lena", "password": PASSWORD})
        statuses[signed_in.status_code] += 1
        assert signed_in["Location"].startswith("/accounts/2fa/authenticate/")
        challenged = page.post("/accounts/2fa/authenticate/", {"code": totp_code()})
        statuses[challenged.status_code] += 1
        queue = page.get("/cases/")
        statuses[queue.status_code] += 1
        elapsed = time.monotonic() - started

        # then nothing failed, nothing waited long, and every concern is stored
        assert sum(n for s, n in statuses.items() if s >= 500) == 0, statuses
        assert statuses == Counter({302: 7, 201: 5, 200: 2}), statuses
        assert token.json()["token"] and queue.status_code == 200
        assert Concern.objects.count() == raised == 10
        assert elapsed < 15, f"{elapsed:.1f}s for 14 requests with Redis cut"
        assert not cache.available
        assert mail.outbox == []  # nobody told yet: planning was never published

        # when Redis is back and the worker's next sweep runs
        proxy.restore()
        monkeypatch.setattr(planning, "PLAN_GRACE", dt.timedelta(0))  # as if 20 s had passed
        monkeypatch.setattr(sweeping, "SEND_GRACE", dt.timedelta(0))
        tasks._broker_down_until = 0.0
        from celery.signals import task_postrun

        task_postrun.connect(_close_worker_connection, weak=False)
        try:
            back = time.monotonic()
            with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
                tasks.sweep.delay()
                assert wait_for(lambda: len(mail.outbox) >= 20, timeout=30)
                tasks.sweep.delay()  # a second sweep finds nothing left
                time.sleep(1.0)
            recovered_in = time.monotonic() - back
        finally:
            task_postrun.disconnect(_close_worker_connection)

    # then each of the 10 concerns was told to both guardians, once (by Message-ID)
    ids = Counter(m.extra_headers["Message-ID"] for m in mail.outbox)
    expected = 10 * 2
    assert (len(mail.outbox), len(ids), sum(n - 1 for n in ids.values())) == (expected, 20, 0)
    assert not Delivery.objects.filter(sent_at__isnull=True).exists()
    assert recovered_in < 30


def test_redis_cut_throttles_still_refuse_a_flood_from_one_client(org, settings):
    # given a limit of 3 anonymous concerns an hour per client, and Redis cut
    from dataclasses import replace

    settings.SPEAKUP_RECEIPTS = replace(
        settings.SPEAKUP_RECEIPTS, anonymous_raises_per_client_per_hour=3
    )
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anonymous_raise": "3/hour",
            "token_client": "3/hour",
        },
    }
    real = urlparse(settings.REDIS_URL)
    with TcpProxy(real.hostname, real.port or 6379) as proxy, redis_through(proxy):
        from django.core.cache import cache

        cache.clear()
        proxy.cut()

        # when one client raises 5 times on each door and guesses passwords 5 times
        page = [Client(REMOTE_ADDR="10.9.9.9").post("/raise/", page_form(org)) for _ in range(5)]
        api = [
            APIClient(REMOTE_ADDR="10.9.9.9").post("/api/v1/concerns/", API_CONCERN, format="json")
            for _ in range(5)
        ]
        guesses = [
            APIClient(REMOTE_ADDR="10.9.9.9").post(
                "/api/v1/auth/token/", {"username": "nobody", "password": "x"}, format="json"
            )
            for _ in range(5)
        ]

    # then the limits held without Redis (counted in this process): 3, then 429; the form
    # and the API spend one budget (issue 13), so the API door is already shut
    assert [r.status_code for r in page] == [302, 302, 302, 429, 429]
    assert [r.status_code for r in api] == [429, 429, 429, 429, 429]
    assert [r.status_code for r in guesses] == [400, 400, 400, 429, 429]
    assert Concern.objects.count() == 3


def test_guardian_signed_in_before_the_cut_stays_signed_in_and_sign_out_sticks(org, settings):
    real = urlparse(settings.REDIS_URL)
    make_user(Role.GUARDIAN, org, username="gwen")
    with TcpProxy(real.hostname, real.port or 6379) as proxy, redis_through(proxy):
        browser = Client()
        assert browser.post("/accounts/login/", {"login": "gwen", "password": PASSWORD})
        assert browser.post("/accounts/2fa/authenticate/", {"code": totp_code()})
        assert browser.get("/cases/").status_code == 200

        proxy.cut()
        assert browser.get("/cases/").status_code == 200  # still signed in
        old_cookie = browser.cookies["sessionid"].value
        assert browser.post("/accounts/logout/").status_code == 302
        proxy.restore()

        # the old session cookie, replayed once Redis is back, is not signed in
        replay = Client()
        replay.cookies["sessionid"] = old_cookie
        response = replay.get("/cases/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
