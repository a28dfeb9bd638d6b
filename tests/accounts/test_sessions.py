"""Item 4: idle and absolute session limits; signing out, a password change or a disabled
account ends that account's sessions, tokens and open sockets at once."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import SecurityEvent, SignedInSession
from accounts.services import token_issue
from concerns.roles import Role
from config.rules import SessionPolicy
from tests.accounts.conftest import post_password, sign_in
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """The middleware's clock, moved by hand."""
    now = [time.time()]
    monkeypatch.setattr("accounts.middleware.time.time", lambda: now[0])
    monkeypatch.setattr("accounts.receivers.time.time", lambda: now[0])

    def advance(minutes: float) -> None:
        now[0] += minutes * 60

    return advance


def test_a_staff_session_ends_after_30_idle_minutes(client, guardian, clock):
    sign_in(client, "gina")
    clock(29)
    assert client.get("/cases/").status_code == 200
    clock(29)  # 29 minutes after the last request, 58 after signing in: still fine
    assert client.get("/cases/").status_code == 200
    clock(31)
    response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert SecurityEvent.objects.filter(username="gina", kind="session_expired").exists()


def test_a_reporter_session_has_the_longer_idle_limit(client, reporter, clock):
    post_password(client, reporter.username)
    clock(45)
    assert client.get("/my-concerns/").status_code == 200
    clock(61)
    assert client.get("/my-concerns/").status_code == 302


def test_a_session_ends_after_12_hours_however_busy(client, guardian, clock):
    sign_in(client, "gina")
    for _ in range(12 * 3 - 1):
        clock(20)
        assert client.get("/cases/").status_code == 200
    clock(21)
    assert client.get("/cases/").status_code == 302


def test_the_limits_are_settings(client, guardian, clock, settings):
    settings.SPEAKUP_SESSIONS = SessionPolicy(
        staff_idle_minutes=5, idle_minutes=5, absolute_hours=1
    )
    sign_in(client, "gina")
    clock(6)
    assert client.get("/cases/").status_code == 302


def test_the_limits_come_from_the_environment():
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "SESSION_IDLE_MINUTES_STAFF": "7",
        "SESSION_ABSOLUTE_HOURS": "3",
        "API_TOKEN_HOURS": "2",
    }
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
            "django.setup();from django.conf import settings as s;"
            "print(s.SPEAKUP_SESSIONS.staff_idle_minutes, s.SPEAKUP_SESSIONS.absolute_hours,"
            " s.REST_KNOX['TOKEN_TTL'].total_seconds())",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["7", "3", "7200.0"]


def test_signing_out_ends_every_session_and_token_of_the_account(guardian):
    here, elsewhere = Client(), Client()
    sign_in(here, "gina")
    elsewhere.force_login(guardian)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=guardian)[1]}")
    assert elsewhere.get("/cases/").status_code == 200

    here.post("/accounts/logout/")

    assert elsewhere.get("/cases/").status_code == 302
    assert api.get("/api/v1/cases/").status_code == 401
    assert not SignedInSession.objects.filter(user=guardian).exists()
    assert SecurityEvent.objects.filter(username="gina", kind="sign_out").exists()


def test_signing_out_through_the_api_ends_the_web_sessions_too(guardian):
    browser = Client()
    browser.force_login(guardian)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=guardian)[1]}")

    assert api.post("/api/v1/auth/sign-out/").status_code == 204

    assert browser.get("/cases/").status_code == 302
    assert api.get("/api/v1/cases/").status_code == 401


def test_disabling_an_account_ends_its_sessions_and_tokens_at_once(guardian, org):
    admin = make_user(Role.ADMIN, username="ada", is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(guardian)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=guardian)[1]}")
    admin_client = Client()
    admin_client.force_login(admin)

    response = admin_client.post(
        f"/admin/auth/user/{guardian.pk}/change/",
        {
            "username": "gina",
            "first_name": "Gina",
            "last_name": "G",
            "email": "gina@example.nhs.uk",
            "groups": [g.pk for g in guardian.groups.all()],
        },  # is_active unticked
    )

    assert response.status_code == 302, response.content[:2000]
    guardian.refresh_from_db()
    assert not guardian.is_active
    assert browser.get("/cases/").status_code == 302
    assert api.get("/api/v1/cases/").status_code == 401
    event = SecurityEvent.objects.get(username="gina", kind="account_disabled")
    assert event.actor_username == "ada"


def test_one_session_timing_out_leaves_the_others(guardian, clock):
    idle, busy = Client(), Client()
    idle.force_login(guardian)
    busy.force_login(guardian)
    idle.get("/cases/")
    for _ in range(3):
        clock(20)
        assert busy.get("/cases/").status_code == 200
    assert idle.get("/cases/").status_code == 302
    assert busy.get("/cases/").status_code == 200
