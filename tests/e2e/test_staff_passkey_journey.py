"""A guardian enrols a passkey (Chromium's virtual authenticator stands in for the device)
and signs in with password and key, in a real browser."""

from __future__ import annotations

import re

import pytest

from concerns.models import Organisation
from concerns.roles import Role
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def virtual_authenticator(browser_page):
    cdp = browser_page.context.new_cdp_session(browser_page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


def test_a_guardian_enrols_a_passkey_and_signs_in_with_it(
    browser_page, virtual_authenticator, settings
):
    # (the live server is plain http on localhost, which browsers treat as secure)
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
    org = Organisation.objects.create(code="RPK", name="Passkey Placement Trust")
    make_user(Role.GUARDIAN, org, username="petra", mfa=False)
    page = browser_page

    page.goto("/accounts/login/?next=/cases/")
    page.fill("input[name=login]", "petra")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.goto("/accounts/2fa/enrol/")
    page.get_by_role("link", name="Use a passkey or security key").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/webauthn/add/"))
    page.fill("input[name=name]", "Work laptop")
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    page.goto("/cases/")
    assert page.get_by_role("heading", name="Cases", exact=True).is_visible()

    page.get_by_role("button", name=re.compile(r"^Sign out")).first.click()
    page.goto("/accounts/login/?next=/cases/")
    page.fill("input[name=login]", "petra")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("#mfa_webauthn_authenticate").click()
    page.wait_for_url(re.compile(r"/cases/(\?.*)?$"))
    assert page.get_by_role("heading", name="Cases", exact=True).is_visible()
