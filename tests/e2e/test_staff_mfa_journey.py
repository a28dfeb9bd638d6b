"""A guardian enrols an authenticator app at first sign-in, signs out, and signs in again
with password and code, in a real browser (the test computes the codes from the secret the
page shows, as the app would)."""

from __future__ import annotations

import re
import time

import pytest

from concerns.models import Organisation
from concerns.roles import Role
from tests.factories import PASSWORD, make_user, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fresh_code(secret: str) -> str:
    """A code of a period no earlier code was typed in (each code works once)."""
    left = 30 - time.time() % 30
    if left < 3:
        time.sleep(left + 0.2)
    return totp_code(secret)


def test_a_guardian_enrols_totp_signs_out_and_signs_in_with_the_code(browser_page):
    org = Organisation.objects.create(code="RMFA", name="MFA Placement Trust")
    make_user(Role.GUARDIAN, org, username="greta", mfa=False)
    page = browser_page

    # When she signs in for the first time, she is sent to set up MFA
    page.goto("/accounts/login/?next=/cases/")
    page.fill("input[name=login]", "greta")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.goto("/cases/")
    page.wait_for_url(re.compile(r"/accounts/2fa/enrol/$"))
    assert page.get_by_role("heading", name="Set up two-factor authentication").is_visible()

    # ...chooses an authenticator app, reads the key off the page and types the app's code
    page.get_by_role("link", name="Use an authenticator app").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.fill("input[name=code]", _fresh_code(secret))
    used_in = int(time.time() // 30)
    page.locator("main button[type=submit]").first.click()

    # Then she is shown recovery codes, and the queue opens
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    assert re.search(r"\b\d{8}\b", page.content())
    page.goto("/cases/")
    assert page.get_by_role("heading", name="Cases", exact=True).is_visible()

    # When she signs out and signs in again with her password
    page.get_by_role("button", name=re.compile(r"^Sign out")).first.click()
    page.goto("/accounts/login/?next=/cases/")
    page.fill("input[name=login]", "greta")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    # Then she is asked for the code, and with it reaches the queue
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    if int(time.time() // 30) == used_in:  # an app shows a new code each period
        time.sleep(30 - time.time() % 30 + 0.2)
    page.fill("input[name=code]", totp_code(secret))
    page.locator("main button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/cases/(\?.*)?$"))
    assert page.get_by_role("heading", name="Cases", exact=True).is_visible()
