"""Item 2: brute force stopped on every password form (sign-in page, admin, API token):
per account and per client, a lockout that expires, the same answer for unknown users, and
the security log records staff attempts (account, time, outcome)."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import SecurityEvent
from concerns.roles import Role
from tests.accounts.conftest import post_password
from tests.factories import PASSWORD, make_user, totp_code

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _limits(settings):
    # Three failures per account, ten per client, in a 15-minute window.
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed": "10/900s/ip,3/900s/key",
    }
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "token_client": "1000/hour",
        },
    }


def page_attempt(client: Client, username: str, password: str) -> str:
    response = post_password(client, username, password)
    if response.status_code == 302:
        return "signed-in"
    text = response.content.decode()
    if "Too many failed" in text:
        return "locked"
    return "refused"


def api_attempt(client: APIClient, username: str, password: str) -> str:
    body = {"username": username, "password": password, "code": totp_code()}
    response = client.post(TOKEN, body, format="json")
    return {200: "signed-in", 429: "locked", 400: "refused"}.get(response.status_code, "?")


@pytest.mark.parametrize("attempt", [page_attempt, api_attempt], ids=["page", "api"])
def test_an_account_is_locked_after_the_failures_even_with_the_right_password(guardian, attempt):
    client = Client() if attempt is page_attempt else APIClient()
    outcomes = [attempt(client, "gina", "wrong password!") for _ in range(3)]
    # From another client too: the lock is on the account
    other = (
        Client(REMOTE_ADDR="10.1.1.1")
        if attempt is page_attempt
        else APIClient(REMOTE_ADDR="10.1.1.1")
    )
    assert outcomes == ["refused"] * 3
    assert attempt(client, "gina", PASSWORD) == "locked"
    assert attempt(other, "gina", PASSWORD) == "locked"


def test_the_sign_in_page_and_the_api_share_one_count(guardian):
    page, api = Client(), APIClient()
    assert page_attempt(page, "gina", "wrong password!") == "refused"
    assert api_attempt(api, "gina", "wrong password!") == "refused"
    assert page_attempt(page, "gina", "wrong password!") == "refused"
    assert api_attempt(api, "gina", PASSWORD) == "locked"
    assert page_attempt(page, "gina", PASSWORD) == "locked"


def test_the_admin_login_form_is_the_same_rate_limited_page(guardian, client):
    # The admin's own form is gone: /admin/login/ sends to the one sign-in page
    for _ in range(5):
        response = client.post("/admin/login/", {"username": "gina", "password": "x"})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    for _ in range(3):
        page_attempt(client, "gina", "wrong password!")
    assert page_attempt(client, "gina", PASSWORD) == "locked"


def test_the_lockout_expires(guardian, monkeypatch):
    client = Client()
    for _ in range(3):
        page_attempt(client, "gina", "wrong password!")
    assert page_attempt(client, "gina", PASSWORD) == "locked"

    # When the window has passed (allauth's limiter reads time.time())
    later = time.time() + 901
    monkeypatch.setattr("allauth.core.internal.ratelimit.time.time", lambda: later)

    assert page_attempt(client, "gina", PASSWORD) == "signed-in"


def test_unknown_accounts_get_the_same_answers(guardian):
    known, unknown = Client(), Client(REMOTE_ADDR="10.2.2.2")
    known_answers = [page_attempt(known, "gina", "wrong password!") for _ in range(4)]
    unknown_answers = [page_attempt(unknown, "nobody-here", "wrong password!") for _ in range(4)]
    assert known_answers == unknown_answers == ["refused"] * 3 + ["locked"]
    # and the very same page, word for word, for a first failure
    make_user(Role.GUARDIAN, username="gabe")
    a = post_password(Client(REMOTE_ADDR="10.3.3.3"), "gabe", "wrong").content.decode()
    b = post_password(Client(REMOTE_ADDR="10.4.4.4"), "nobo", "wrong").content.decode()
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("", a.replace("gabe", "X")) == token.sub("", b.replace("nobo", "X"))
    api_known = APIClient().post(TOKEN, {"username": "gabe", "password": "x1"}, format="json")
    api_unknown = APIClient().post(TOKEN, {"username": "nobody", "password": "x1"}, format="json")
    assert api_known.status_code == api_unknown.status_code == 400
    assert api_known.json() == api_unknown.json()


def test_one_client_is_limited_across_accounts(org, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed": "4/900s/ip,100/900s/key",
    }
    for i in range(6):
        make_user(Role.REPORTER, username=f"r{i}")
    client = Client()
    answers = [page_attempt(client, f"r{i}", "wrong password!") for i in range(5)]
    assert answers == ["refused"] * 4 + ["locked"]
    assert page_attempt(client, "r5", PASSWORD) == "locked"
    assert page_attempt(Client(REMOTE_ADDR="10.9.9.9"), "r5", PASSWORD) == "signed-in"


def test_staff_attempts_are_in_the_security_log_but_unknown_names_are_not(guardian, reporter):
    client = Client()
    for _ in range(3):
        page_attempt(client, "gina", "wrong password!")
    page_attempt(client, "gina", PASSWORD)
    page_attempt(Client(REMOTE_ADDR="10.5.5.5"), "my-password-typed-here", "x")
    page_attempt(Client(REMOTE_ADDR="10.6.6.6"), reporter.username, "wrong password!")

    sign_ins = SecurityEvent.objects.filter(
        username="gina", kind__in=["sign_in_failed", "locked_out"]
    )
    kinds = list(sign_ins.order_by("id").values_list("kind", flat=True))
    assert kinds == ["sign_in_failed"] * 3 + ["locked_out"]
    event = SecurityEvent.objects.filter(username="gina").first()
    assert event.user_id == guardian.pk and event.at is not None
    assert not SecurityEvent.objects.filter(username="my-password-typed-here").exists()
    assert not SecurityEvent.objects.filter(
        username=reporter.username, kind__startswith="sign_in"
    ).exists()


def test_a_successful_staff_sign_in_is_logged_with_its_methods(guardian):
    from tests.accounts.conftest import sign_in

    sign_in(Client(), "gina")
    event = SecurityEvent.objects.get(username="gina", kind="sign_in")
    assert event.detail == "password+mfa"


def test_no_client_address_reaches_the_cache(guardian):
    from django.core.cache import cache

    client = Client(REMOTE_ADDR="203.0.113.77")
    page_attempt(client, "gina", "wrong password!")
    store = cache._cache
    if hasattr(store, "get_client"):  # Redis
        keys = [k.decode() for k in store.get_client().scan_iter("*")]
    else:  # the in-memory cache
        keys = [str(k) for k in list(store)]
    assert keys and not any("203.0.113.77" in k for k in keys)


def test_another_host_name_does_not_open_a_fresh_count(guardian):
    for host in ["localhost", "127.0.0.1", "localhost"]:
        assert page_attempt(Client(HTTP_HOST=host), "gina", "wrong password!") == "refused"
    assert page_attempt(Client(HTTP_HOST="127.0.0.1"), "gina", PASSWORD) == "locked"
