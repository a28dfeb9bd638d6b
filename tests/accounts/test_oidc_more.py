"""Issue 18, item 1, the gaps the audit found: a wrong issuer (in the ID token, or in the
discovery document), the providers built from the environment (``OIDC_*`` and ``OIDC_PROVIDERS``
together, each usable), and a forged state answered with the refusal page and nothing logged
that names the person.

Against the same real provider process as tests/accounts/test_oidc.py (tests/idp), on the same
xdist worker."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount

from accounts.models import SecurityEvent
from tests.accounts.conftest import MFA
from tests.accounts.test_oidc import begin, follow, sign_in_with_provider, signed_in_as
from tests.factories import totp_code
from tests.idp import server
from tests.idp.server import idp  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("idp")]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _provider(settings, idp):  # noqa: F811
    settings.SOCIALACCOUNT_PROVIDERS = idp.app_settings()


def refused_with(reason: str) -> SecurityEvent:
    event = SecurityEvent.objects.get(kind="sign_in_failed")
    assert event.detail.startswith("oidc:testidp:") and reason in event.detail, event.detail
    return event


def test_an_id_token_naming_another_issuer_is_refused(client, idp, guardian):  # noqa: F811
    # Signed with the provider's own key: only the issuer check stands in the way.
    response, _ = sign_in_with_provider(client, idp, "iss-gina")
    assert response.status_code == 401
    assert signed_in_as(client) is None
    assert not SocialAccount.objects.exists()
    refused_with("InvalidIssuerError")


def test_a_discovery_document_naming_another_issuer_is_refused(
    client,
    idp,  # noqa: F811
    guardian,
    settings,
):
    """Mix-up: the configured issuer's address serves a document for another issuer. Speak Up
    refuses before sending the browser anywhere."""
    settings.SOCIALACCOUNT_PROVIDERS = idp.app_settings(issuer_url=f"{idp.url}/mixup")
    response = client.post("/accounts/oidc/testidp/login/", {"process": "login"})
    assert response.status_code == 401, response.status_code
    assert "Location" not in response  # the browser is not sent to the provider
    assert "Third-Party Login Failure" in response.content.decode()
    assert signed_in_as(client) is None
    refused_with("another issuer")


def test_a_wrong_state_is_refused_with_the_refusal_page_and_no_name_logged(
    client,
    idp,  # noqa: F811
    guardian,
    caplog,
):
    browser = idp.browser("gina-idp")
    callback = begin(client, idp, browser)
    state = parse_qs(urlsplit(callback).query)["state"][0]
    forged = callback.replace(f"state={state}", "state=not-the-state-we-sent")
    caplog.set_level(logging.DEBUG)
    before = set(SecurityEvent.objects.values_list("pk", flat=True))
    response = follow(client, forged)
    assert response.status_code == 401
    page = response.content.decode()
    assert re.search(r"<h1[^>]*>\s*Third-Party Login Failure\s*</h1>", page), page[-3000:]
    assert "An error occurred while attempting to login via your third-party account" in page
    assert "Location" not in response
    assert signed_in_as(client) is None
    assert client.get("/cases/").status_code == 302  # still not signed in
    assert not SocialAccount.objects.exists()
    # Nothing written names gina: not the log, not the security log, not the page.
    names = ("gina", guardian.email, guardian.get_full_name() or "gina")
    new_events = list(SecurityEvent.objects.exclude(pk__in=before))
    assert [(e.kind, e.user_id) for e in new_events] == [("sign_in_failed", None)]
    assert "Provider sign-in refused (testidp)" in caplog.text  # logged, by provider only
    logged = caplog.text.lower() + new_events[0].detail.lower()
    for name in names:
        assert name.lower() not in logged, name
        assert name.lower() not in page.lower(), name


def built_providers(env: dict[str, str]) -> dict:
    """SOCIALACCOUNT_PROVIDERS as config/settings.py builds it from this environment, in a
    process of its own (settings are read once, at start)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OIDC_")}
    clean.update(env)
    script = "import json, config.settings as s; print(json.dumps(s.SOCIALACCOUNT_PROVIDERS))"
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def two_provider_environment(idp) -> dict[str, str]:  # noqa: F811
    return {
        "OIDC_ISSUER_URL": idp.issuer,
        "OIDC_CLIENT_ID": server.CLIENT_ID,
        "OIDC_CLIENT_SECRET": server.CLIENT_SECRET,
        "OIDC_PROVIDER_NAME": "NHSmail",
        "OIDC_SCOPES": "openid email",
        "OIDC_PROVIDERS": json.dumps(
            [
                {
                    "id": "second",
                    "name": "Care Identity Service",
                    "issuer_url": idp.issuer,
                    "client_id": server.SECOND_CLIENT_ID,
                    "client_secret": server.SECOND_CLIENT_SECRET,
                }
            ]
        ),
    }


def test_the_environment_builds_both_providers(idp):  # noqa: F811
    built = built_providers(two_provider_environment(idp))
    config = built["openid_connect"]
    assert config["provider_class"] == "accounts.oidc.OIDCProvider"
    apps = {app["provider_id"]: app for app in config["APPS"]}
    assert set(apps) == {"org", "second"}
    assert apps["org"]["name"] == "NHSmail"
    assert apps["org"]["client_id"] == server.CLIENT_ID
    assert apps["org"]["settings"]["scope"] == ["openid", "email"]
    assert apps["second"]["name"] == "Care Identity Service"
    assert apps["second"]["client_id"] == server.SECOND_CLIENT_ID
    assert apps["second"]["settings"]["scope"] == ["openid", "email", "profile"]
    for app in apps.values():
        assert app["settings"]["server_url"] == idp.issuer
        assert app["settings"]["oauth_pkce_enabled"] is True


def test_no_oidc_environment_builds_no_provider():
    assert built_providers({})["openid_connect"]["APPS"] == []


@pytest.mark.parametrize("provider", ["org", "second"])
def test_each_provider_built_from_the_environment_signs_in(
    client,
    idp,  # noqa: F811
    guardian,
    settings,
    provider,
):
    settings.SOCIALACCOUNT_PROVIDERS = built_providers(two_provider_environment(idp))
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with NHSmail" in page and "Sign in with Care Identity Service" in page
    response = client.post(f"/accounts/oidc/{provider}/login/", {"process": "login"})
    assert response.status_code == 302
    authorize = response["Location"]
    query = parse_qs(urlsplit(authorize).query)
    expected_client = server.CLIENT_ID if provider == "org" else server.SECOND_CLIENT_ID
    assert query["client_id"] == [expected_client]
    back = idp.browser("gina-idp").get(authorize, allow_redirects=False, timeout=10)
    callback = back.headers["Location"]
    assert callback.startswith(f"https://testserver/accounts/oidc/{provider}/login/callback/")
    answer = follow(client, callback)
    assert answer.status_code == 302 and answer["Location"].startswith(MFA), answer.content[:600]
    client.post(MFA, {"code": totp_code()})
    assert signed_in_as(client) == guardian
    assert SocialAccount.objects.get(user=guardian).provider == provider
