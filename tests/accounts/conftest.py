"""Accounts test helpers: a fresh cache (rate limits live there), cheap hashing, and a
sign-in through the real pages (password, then the MFA code)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import PASSWORD, totp_code

LOGIN = "/accounts/login/"
MFA = "/accounts/2fa/authenticate/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def post_password(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"login": username, "password": password}, **extra)


def sign_in(client: Client, username: str, *, code: str | None = None) -> None:
    """Password, then the TOTP code: the staff sign-in a person does."""
    response = post_password(client, username)
    assert response.status_code == 302, response.content[:500]
    if response["Location"].startswith(MFA):
        response = client.post(MFA, {"code": code or totp_code()})
        assert response.status_code == 302, response.content[:800]


def errors_of(response) -> str:
    text = response.content.decode()
    return " ".join(re.findall(r'class="nhsuk-error-message"[^>]*>(.*?)</span>\s*(.*?)<', text))
