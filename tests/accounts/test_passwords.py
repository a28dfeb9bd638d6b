"""Item 3: passwords of at least 12 characters, not common, not like the account's own
details; change password; reset by e-mail that never says whether an account exists."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import SecurityEvent
from accounts.services import token_issue
from concerns.roles import Role
from tests.accounts.conftest import post_password, sign_in
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
NEW = "a much longer new pass phrase"


@pytest.mark.parametrize(
    "password",
    ["short-pass1", "password1234", "123456789012", "gina.guardian1"],
    ids=["11 characters", "common", "numeric", "like the account"],
)
def test_weak_passwords_are_refused(guardian, password):
    guardian.username, guardian.email = "gina.guardian", "gina.guardian@example.nhs.uk"
    with pytest.raises(ValidationError):
        validate_password(password, user=guardian)


def test_a_long_uncommon_password_is_accepted(guardian):
    validate_password("twelve chars ok here", user=guardian)


def test_changing_the_password_ends_every_session_and_token(guardian):
    # Given a guardian signed in on two browsers, with an API token
    here, elsewhere = Client(), Client()
    sign_in(here, "gina")
    elsewhere.force_login(guardian)  # (a TOTP code works once: the other browser's sign-in)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=guardian)[1]}")
    assert api.get("/api/v1/cases/").status_code == 200

    # When they change their password
    page = here.get("/accounts/password/change/")
    assert page.status_code == 200 and "nhsuk-input" in page.content.decode()
    response = here.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW, "password2": NEW},
    )

    # Then both browsers and the token are signed out
    assert response.status_code == 302
    assert here.get("/cases/").status_code == 302
    assert elsewhere.get("/cases/").status_code == 302
    assert api.get("/api/v1/cases/").status_code == 401
    assert SecurityEvent.objects.filter(username="gina", kind="password_changed").exists()
    # and the new password (with the code) signs in
    assert post_password(Client(), "gina", NEW).status_code == 302


def test_a_weak_new_password_is_a_form_error(guardian, client):
    sign_in(client, "gina")
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "short", "password2": "short"},
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()


def _reset(email: str, addr: str) -> str:
    client = Client(REMOTE_ADDR=addr)
    response = client.post("/accounts/password/reset/", {"email": email})
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


def test_a_reset_answers_the_same_for_an_address_with_no_account(guardian):
    mail.outbox.clear()
    known = _reset(guardian.email, "10.0.0.1")
    unknown = _reset("nobody@example.nhs.uk", "10.0.0.2")

    assert known == unknown
    assert [m.to for m in mail.outbox] == [[guardian.email]]


def test_a_reset_link_sets_a_new_password_and_ends_sessions(guardian):
    signed_in = Client()
    signed_in.force_login(guardian)
    mail.outbox.clear()
    _reset(guardian.email, "10.0.0.3")
    link = re.search(r"https?://[^\s]+/accounts/password/reset/key/[^\s]+", mail.outbox[0].body)
    assert link
    path = "/" + link.group(0).split("/", 3)[3]

    client = Client()
    form = client.get(path, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {
            "password1": NEW,
            "password2": NEW,
        },
    )

    assert done.status_code == 302
    assert signed_in.get("/cases/").status_code == 302
    # The reset gives no way round MFA: the code is still asked for
    assert post_password(Client(), "gina", NEW)["Location"].startswith("/accounts/2fa/")


def test_the_reset_email_names_no_one_else_and_holds_no_case(guardian):
    mail.outbox.clear()
    _reset(guardian.email, "10.0.0.4")
    body = mail.outbox[0].body
    assert "SU-" not in body and "concern" not in body.lower()


def test_reporters_may_change_their_password_too(client, org):
    make_user(Role.REPORTER, username="rory")
    post_password(client, "rory")
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW, "password2": NEW},
    )
    assert response.status_code == 302
