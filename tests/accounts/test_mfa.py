"""Item 1: MFA for every staff role, forced at first sign-in; recovery codes; the admin
site and the API token behind it; reporters may opt in."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import SecurityEvent
from concerns.roles import Role
from tests.accounts.conftest import MFA, post_password, sign_in
from tests.factories import PASSWORD, make_user, totp_code

pytestmark = pytest.mark.django_db

STAFF = [Role.GUARDIAN, Role.LEAD_GUARDIAN, Role.COMMITTEE, Role.ADMIN]


def _staff(role, org, **kw):
    extra = {"is_staff": True, "is_superuser": True} if role == Role.ADMIN else {}
    return make_user(role, org, username=f"new-{role}", **extra, **kw)


def enrol_totp(client: Client) -> tuple[str, list[str]]:
    """Walk allauth's TOTP activation as a person would: read the secret off the page,
    type the code the app would show. Returns the secret and the recovery codes."""
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200, page.status_code
    secret = client.session["mfa.totp.secret"]
    assert secret in page.content.decode()
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done.status_code == 302, done.content[:600]
    codes_page = client.get("/accounts/2fa/recovery-codes/")
    codes = re.findall(r"\b\d{8}\b", codes_page.content.decode())
    return secret, codes


@pytest.mark.parametrize("role", STAFF)
def test_staff_sign_in_stops_at_enrolment_until_mfa_is_set_up(client, org, role):
    # Given a member of staff who has never set up MFA
    _staff(role, org, mfa=False)

    # When they sign in with the right password
    response = post_password(client, f"new-{role}")

    # Then they are signed in, but every page sends them to enrolment
    assert response.status_code == 302
    for path in ["/", "/cases/", "/reports/", "/admin/", "/my-concerns/"]:
        page = client.get(path)
        assert page.status_code == 302, path
        assert page["Location"] == "/accounts/2fa/enrol/", path
    enrol = client.get("/accounts/2fa/enrol/")
    assert enrol.status_code == 200
    assert "Set up two-factor authentication" in enrol.content.decode()
    # and the API answers 403 to their session, never data
    api = client.get("/api/v1/cases/")
    assert api.status_code == 403


def test_after_enrolling_totp_a_guardian_reaches_the_queue_and_next_time_is_challenged(
    client, org, django_capture_on_commit_callbacks
):
    # Given a guardian kept at enrolment
    make_user(Role.GUARDIAN, org, username="nina", mfa=False)
    post_password(client, "nina")

    # When they enrol an authenticator app
    with django_capture_on_commit_callbacks(execute=True):
        secret, codes = enrol_totp(client)

    # Then the queue opens, and ten recovery codes were made
    assert client.get("/cases/").status_code == 200
    assert len(codes) == 10
    assert Authenticator.objects.filter(user__username="nina").count() == 2
    assert SecurityEvent.objects.filter(username="nina", kind="mfa_added").exists()

    # When they sign out and sign in again with the password alone
    client.post("/accounts/logout/")
    fresh = Client()
    response = post_password(fresh, "nina")

    # Then they stop at the MFA challenge, not signed in
    assert response.status_code == 302 and response["Location"].startswith(MFA)
    assert fresh.get("/cases/").status_code == 302
    assert "_auth_user_id" not in fresh.session
    # A wrong code is refused, the right one lets them in
    wrong = fresh.post(MFA, {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode()
    right = fresh.post(MFA, {"code": totp_code(secret)})
    assert right.status_code == 302
    assert fresh.get("/cases/").status_code == 200


def test_a_recovery_code_works_once(client, org):
    make_user(Role.GUARDIAN, org, username="rhea", mfa=False)
    post_password(client, "rhea")
    _, codes = enrol_totp(client)
    client.post("/accounts/logout/")

    first = Client()
    post_password(first, "rhea")
    assert first.post(MFA, {"code": codes[0]}).status_code == 302
    assert first.get("/cases/").status_code == 200
    first.post("/accounts/logout/")

    again = Client()
    post_password(again, "rhea")
    reused = again.post(MFA, {"code": codes[0]})
    assert reused.status_code == 200  # refused: the code is spent
    assert again.get("/cases/").status_code == 302
    assert again.post(MFA, {"code": codes[1]}).status_code == 302


def test_the_admin_site_is_behind_sign_in_and_mfa(client, org):
    admin = _staff(Role.ADMIN, org)
    # The admin's own login page is not a way round: it sends to the one sign-in page
    login = client.get("/admin/login/?next=/admin/")
    assert login.status_code == 302 and login["Location"] == "/accounts/login/?next=/admin/"
    posted = client.post("/admin/login/", {"username": admin.username, "password": PASSWORD})
    assert posted.status_code == 302 and "_auth_user_id" not in client.session
    # Password alone stops at the challenge; with the code the admin site opens
    response = post_password(client, admin.username)
    assert response["Location"].startswith(MFA)
    assert client.get("/admin/").status_code == 302
    client.post(MFA, {"code": totp_code()})
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("role", STAFF)
def test_the_api_token_asks_staff_for_their_code(org, role):
    _staff(role, org)
    api = APIClient()
    url = "/api/v1/auth/token/"
    username = f"new-{role}"

    without = api.post(url, {"username": username, "password": PASSWORD}, format="json")
    wrong = api.post(url, {"username": username, "password": PASSWORD, "code": "12"}, "json")
    right = api.post(
        url, {"username": username, "password": PASSWORD, "code": totp_code()}, format="json"
    )

    assert without.status_code == 400 and "token" not in without.json()
    assert wrong.status_code == 400 and "token" not in wrong.json()
    assert right.status_code == 200 and right.json()["token"].startswith("su_")
    assert SecurityEvent.objects.filter(username=username, kind="mfa_failed").count() == 2


def test_staff_without_mfa_get_no_api_token(org):
    make_user(Role.GUARDIAN, org, username="nomfa", mfa=False)

    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "nomfa", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


def test_a_reporter_is_not_forced_but_may_opt_in(client, reporter):
    # Given a reporter with no MFA: they sign in with a password and use the site
    post_password(client, reporter.username)
    assert client.get("/my-concerns/").status_code == 200

    # When they choose to enrol
    enrol_totp(client)
    client.post("/accounts/logout/")

    # Then their next sign-in asks for the code too
    again = Client()
    assert post_password(again, reporter.username)["Location"].startswith(MFA)
    assert again.post(MFA, {"code": totp_code(again_secret(reporter))}).status_code == 302
    assert again.get("/my-concerns/").status_code == 200


def again_secret(user) -> str:
    auth = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return _decrypt(auth)


def _decrypt(auth) -> str:
    from allauth.mfa.adapter import get_adapter

    return get_adapter().decrypt(auth.data["secret"])


def test_the_totp_secret_is_stored_encrypted(guardian):
    from tests.factories import TOTP_SECRET

    auth = Authenticator.objects.get(user=guardian, type=Authenticator.Type.TOTP)
    assert TOTP_SECRET not in str(auth.data)
    assert _decrypt(auth) == TOTP_SECRET


def test_staff_cannot_remove_their_last_mfa_method(client, guardian):
    sign_in(client, guardian.username)
    auth = Authenticator.objects.get(user=guardian, type=Authenticator.Type.TOTP)
    from allauth.mfa.adapter import get_adapter

    assert get_adapter().can_delete_authenticator(auth) is False


def test_the_sign_in_pages_use_the_nhs_layout(client, guardian):
    page = client.get("/accounts/login/").content.decode()
    assert "nhsuk-header" in page and "nhsuk-input" in page and "sign up" not in page.lower()
    post_password(client, guardian.username)
    challenge = client.get(MFA).content.decode()
    assert "nhsuk-header" in challenge and "nhsuk-button" in challenge


def test_your_account_page_shows_password_and_mfa(client, guardian):
    sign_in(client, guardian.username)
    page = client.get("/accounts/security/").content.decode()
    assert "Change" in page and "Two-factor authentication" in page and ">On<" in page
    assert 'href="/accounts/security/"' in client.get("/cases/").content.decode()
