"""Issue 18, item 1: sign-in with the organisation's identity provider, against a real
OpenID Connect provider (django-oauth-toolkit in a second process, tests/idp) over HTTP.

Speak Up's side is the Django test client; every call between Speak Up and the provider
(discovery, keys, the token endpoint) and every page of the provider is real HTTP. No part of
the protocol is mocked: the provider's misbehaving accounts (tests/idp/validators.py) send the
broken tokens."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import SecurityEvent, SignedInSession
from concerns.roles import Role
from tests.accounts.conftest import MFA
from tests.factories import make_user, totp_code
from tests.idp.server import idp  # noqa: F401  (the fixture)

# One xdist worker runs them all: they share the one identity provider process.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("idp")]

START = "/accounts/oidc/testidp/login/"


@pytest.fixture(autouse=True)
def _provider(settings, idp):  # noqa: F811
    settings.SOCIALACCOUNT_PROVIDERS = idp.app_settings()


def begin(client: Client, idp, browser):  # noqa: F811
    """Press the button; the browser goes to the provider and comes back with a code.
    Returns the callback URL the provider sent the browser to (not yet followed)."""
    response = client.post(START, {"process": "login"})
    assert response.status_code == 302, response.content[:400]
    authorize = response["Location"]
    assert authorize.startswith(f"{idp.issuer}/authorize/"), authorize
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["nonce"] and query["state"]
    back = browser.get(authorize, allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text[-1500:]
    callback = back.headers["Location"]
    assert callback.startswith("https://testserver/accounts/oidc/testidp/login/callback/")
    return callback


def follow(client: Client, url: str):
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def sign_in_with_provider(client: Client, idp, username: str):  # noqa: F811
    browser = idp.browser(username)
    return follow(client, begin(client, idp, browser)), browser


def signed_in_as(client: Client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def test_first_sign_in_matches_the_verified_email_then_mfa_applies(client, idp, guardian):  # noqa: F811
    response, _ = sign_in_with_provider(client, idp, "gina-idp")
    # The provider's identity is gina's, and gina uses TOTP: the MFA challenge follows.
    assert response.status_code == 302 and response["Location"].startswith(MFA)
    assert signed_in_as(client) is None
    done = client.post(MFA, {"code": totp_code()})
    assert done.status_code == 302
    assert signed_in_as(client) == guardian
    assert client.get("/cases/").status_code == 200
    linked = SocialAccount.objects.get(user=guardian)
    assert linked.provider == "testidp" and linked.uid  # the subject, stored
    event = SecurityEvent.objects.filter(user_id=guardian.pk, kind="sign_in").first()
    assert event is not None and "socialaccount" in event.detail
    assert SignedInSession.objects.filter(user=guardian).count() == 1


def test_later_sign_ins_match_by_the_stored_subject(client, idp, org):  # noqa: F811
    user = make_user(Role.REPORTER, username="gina-r", email="gina@example.nhs.uk")
    sign_in_with_provider(client, idp, "gina-idp")
    assert signed_in_as(client) == user
    client.post("/accounts/logout/")
    # The address in Speak Up changes: the stored subject still finds the account.
    user.email = "gina.renamed@example.nhs.uk"
    user.save()
    again = Client()
    sign_in_with_provider(again, idp, "gina-idp")
    assert signed_in_as(again) == user
    assert SocialAccount.objects.filter(user=user).count() == 1


def test_email_matching_ignores_case(client, idp, org):  # noqa: F811
    user = make_user(Role.GUARDIAN, org, username="gcase", email="gina.case@example.nhs.uk")
    response, _ = sign_in_with_provider(client, idp, "GINA-CASE")
    assert response["Location"].startswith(MFA)
    client.post(MFA, {"code": totp_code()})
    assert signed_in_as(client) == user


def test_an_unknown_email_is_refused_and_no_account_is_made(client, idp, guardian):  # noqa: F811
    users = get_user_model().objects.count()
    response, _ = sign_in_with_provider(client, idp, "stranger")
    assert response.status_code == 403
    page = response.content.decode()
    assert "There is no Speak Up account for your email address" in page
    assert "nobody-here" not in page  # the address is not echoed back
    assert signed_in_as(client) is None
    assert get_user_model().objects.count() == users
    assert not SocialAccount.objects.exists()
    assert SecurityEvent.objects.filter(detail="oidc:testidp: no matching account").exists()
    assert not SecurityEvent.objects.filter(detail__contains="nobody-here").exists()


def test_an_unverified_email_is_refused(client, idp, guardian):  # noqa: F811
    response, _ = sign_in_with_provider(client, idp, "unverified")
    assert response.status_code == 403
    assert "did not give Speak Up a verified email address" in response.content.decode()
    assert signed_in_as(client) is None and not SocialAccount.objects.exists()


def test_a_trusted_domain_counts_as_verified_when_the_provider_says_nothing(
    client,
    idp,  # noqa: F811
    guardian,
    settings,
):
    # (Entra ID sends no email_verified: the organisation's own domains may be trusted.)
    settings.SOCIALACCOUNT_PROVIDERS = idp.app_settings(trusted_email_domains="example.nhs.uk")
    response, _ = sign_in_with_provider(client, idp, "unverified")
    assert response["Location"].startswith(MFA)


def test_an_inactive_account_is_refused(client, idp, guardian):  # noqa: F811
    guardian.is_active = False
    guardian.save()
    response, _ = sign_in_with_provider(client, idp, "gina-idp")
    assert response.status_code == 403
    assert signed_in_as(client) is None


def test_signing_in_never_grants_a_role(client, idp, org):  # noqa: F811
    # A reporter whose organisational address is known signs in: still only a reporter.
    user = make_user(Role.REPORTER, username="rory", email="new.guardian@example.nhs.uk")
    before = set(user.groups.values_list("name", flat=True))
    response, _ = sign_in_with_provider(client, idp, "newguardian-idp")
    assert response.status_code == 302
    assert signed_in_as(client) == user
    assert set(user.groups.values_list("name", flat=True)) == before
    assert client.get("/cases/").status_code in (302, 403, 404)


@pytest.mark.parametrize(
    ("account", "reason"),
    [
        ("tamper-gina", "InvalidSignatureError"),
        ("rogue-gina", "InvalidSignatureError"),
        ("expired-gina", "ExpiredSignatureError"),
        ("nonce-gina", "nonce does not match"),
        ("aud-gina", "InvalidAudienceError"),
    ],
    ids=["tampered", "wrong-key", "expired", "wrong-nonce", "wrong-audience"],
)
def test_a_bad_id_token_is_refused(client, idp, guardian, account, reason):  # noqa: F811
    response, _ = sign_in_with_provider(client, idp, account)
    assert response.status_code == 401
    assert signed_in_as(client) is None
    assert not SocialAccount.objects.exists()
    event = SecurityEvent.objects.get(kind="sign_in_failed")
    assert event.detail.startswith("oidc:testidp:") and reason in event.detail, event.detail


def test_a_wrong_state_is_refused(client, idp, guardian):  # noqa: F811
    browser = idp.browser("gina-idp")
    callback = begin(client, idp, browser)
    state = parse_qs(urlsplit(callback).query)["state"][0]
    forged = callback.replace(f"state={state}", "state=not-the-state-we-sent")
    response = follow(client, forged)
    assert signed_in_as(client) is None
    assert response.status_code != 302 or MFA not in response.get("Location", "")
    assert not SocialAccount.objects.exists()


def test_a_callback_in_another_browser_is_refused(client, idp, guardian):  # noqa: F811
    """Login CSRF: a code and state made for one browser, delivered to another."""
    browser = idp.browser("gina-idp")
    callback = begin(client, idp, browser)
    victim = Client()
    follow(victim, callback)
    assert signed_in_as(victim) is None and not SocialAccount.objects.exists()


def test_a_callback_cannot_be_replayed(client, idp, guardian):  # noqa: F811
    browser = idp.browser("gina-idp")
    callback = begin(client, idp, browser)
    first = follow(client, callback)
    assert first["Location"].startswith(MFA)
    client.post(MFA, {"code": totp_code()})
    client.post("/accounts/logout/")
    follow(client, callback)  # the same state and code again
    assert signed_in_as(client) is None


def test_provider_mfa_is_not_trusted_by_default(client, idp, guardian):  # noqa: F811
    response, _ = sign_in_with_provider(client, idp, "mfa-user")
    assert response["Location"].startswith(MFA)
    assert signed_in_as(client) is None


def test_provider_mfa_skips_local_mfa_when_the_setting_trusts_it(
    client,
    idp,  # noqa: F811
    guardian,
    settings,
):
    settings.OIDC_TRUST_PROVIDER_MFA = True
    response, _ = sign_in_with_provider(client, idp, "mfa-user")
    assert response.status_code == 302 and not response["Location"].startswith(MFA)
    assert signed_in_as(client) == guardian
    assert client.get("/cases/").status_code == 200


def test_without_provider_mfa_the_trust_setting_changes_nothing(
    client,
    idp,  # noqa: F811
    guardian,
    settings,
):
    settings.OIDC_TRUST_PROVIDER_MFA = True
    response, _ = sign_in_with_provider(client, idp, "gina-idp")
    assert response["Location"].startswith(MFA)


def test_staff_without_mfa_are_sent_to_enrol(client, idp, org, settings):  # noqa: F811
    settings.OIDC_TRUST_PROVIDER_MFA = True  # (the provider did not assert MFA here)
    make_user(Role.GUARDIAN, org, username="gina2", email="gina@example.nhs.uk", mfa=False)
    sign_in_with_provider(client, idp, "gina-idp")
    assert client.get("/cases/")["Location"] == "/accounts/2fa/enrol/"


def test_staff_without_local_mfa_need_not_enrol_when_provider_mfa_is_trusted(
    client,
    idp,  # noqa: F811
    org,
    settings,
):
    settings.OIDC_TRUST_PROVIDER_MFA = True
    make_user(Role.GUARDIAN, org, username="gina2", email="gina@example.nhs.uk", mfa=False)
    sign_in_with_provider(client, idp, "mfa-user")
    assert client.get("/cases/").status_code == 200


def test_an_account_linked_to_another_identity_is_refused(client, idp, org):  # noqa: F811
    """The address moved from one person at the provider to another: the second person is
    not let into the first one's account."""
    user = make_user(Role.REPORTER, username="gina-r", email="gina@example.nhs.uk")
    sign_in_with_provider(client, idp, "gina-idp")
    assert signed_in_as(client) == user
    other = Client()
    response, _ = sign_in_with_provider(other, idp, "mfa-user")  # same address, other subject
    assert response.status_code == 403
    assert "already linked to a different sign-in" in response.content.decode()
    assert signed_in_as(other) is None


def test_sign_out_ends_the_session_here_and_at_the_provider(client, idp, guardian):  # noqa: F811
    _, browser = sign_in_with_provider(client, idp, "gina-idp")
    client.post(MFA, {"code": totp_code()})
    assert signed_in_as(client) == guardian
    assert idp.whoami(browser) == "gina-idp"
    out = client.post("/accounts/logout/")
    assert out.status_code == 302
    end_session = out["Location"]
    assert end_session.startswith(f"{idp.issuer}/logout/"), end_session
    assert "id_token_hint=" in end_session
    assert signed_in_as(client) is None
    assert not SignedInSession.objects.filter(user=guardian).exists()
    back = browser.get(end_session, allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"] == "https://testserver/"
    assert idp.whoami(browser) is None  # the provider's own session ended too


def test_password_sign_out_stays_local(client, guardian):
    from tests.accounts.conftest import sign_in

    sign_in(client, "gina")
    out = client.post("/accounts/logout/")
    assert out["Location"] == "/"


def test_an_invited_guardian_signs_in_with_the_provider_and_enrols_mfa(client, idp, org):  # noqa: F811
    """The invitation's other way in: the account the administrator made is matched by its
    address; MFA enrolment follows at once, without being sent back to the provider."""
    from setup import services as setup_services

    ada = make_user(Role.ADMIN, username="ada", is_staff=True, is_superuser=True)
    invited = setup_services.staff_invite(
        actor=ada,
        email="new.guardian@example.nhs.uk",
        username="newg",
        role="guardian",
        organisations=[org],
    )
    sign_in_with_provider(client, idp, "newguardian-idp")
    assert signed_in_as(client) == invited
    assert client.get("/cases/")["Location"] == "/accounts/2fa/enrol/"
    activate = client.get("/accounts/2fa/totp/activate/")
    assert activate.status_code == 200  # not a reauthentication detour
    secret = client.session["mfa.totp.secret"]
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done.status_code == 302
    assert client.get("/cases/").status_code == 200
