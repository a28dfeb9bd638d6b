"""API test helpers: clients signed in as each role, and cases in two organisations."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from concerns.roles import Role
from tests.factories import make_user, raise_concern


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Password hashing cost is for attackers; these tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters live in the cache: every test starts with none.
    cache.clear()
    yield
    cache.clear()


def client_for(user=None, *, token: str | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        from accounts.services import token_issue

        token = token_issue(user=user)[1]
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def other_lead(other_org):
    return make_user(Role.LEAD_GUARDIAN, other_org, username="olga")


@pytest.fixture
def open_concern(org, reporter):
    """Rita's open concern at North Placement Trust."""
    return raise_concern(org, route="open", reporter=reporter, reporter_name="Rita")


@pytest.fixture
def anonymous_concern(org):
    return raise_concern(org, route="anonymous")


@pytest.fixture
def other_org_concern(other_org, other_reporter):
    """Rob's confidential concern at South Placement Trust."""
    return raise_concern(other_org, route="confidential", reporter=other_reporter)


def receipt_token(code: str) -> str:
    response = APIClient().post(
        "/api/v1/anonymous/sessions/", {"receipt_code": code}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["token"]


def rates_override(settings, **rates) -> None:
    """Lower (or raise) throttle rates for one test."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }
