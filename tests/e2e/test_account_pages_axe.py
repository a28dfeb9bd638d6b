"""Issue 15: the sign-in and MFA pages at 320, 640 and 1280 px in a real browser: nothing
scrolls sideways (WCAG 2.2 1.4.10 Reflow) and axe-core finds no WCAG 2.2 A/AA violation, with
the same check as tests/e2e/test_reflow_axe.py. The pages: allauth's sign-in (empty and with
a wrong password), the MFA challenge (empty and with a wrong code), the MFA enrolment choice and
the authenticator app's activation. Each is reached as a person reaches it: through the
sign-in form, not a session made on the server."""

from __future__ import annotations

import re

import pytest

from concerns.roles import Role
from tests.e2e.test_reflow_axe import AXE, WIDTHS, _problems
from tests.factories import PASSWORD, OrganisationFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _axe():
    if not AXE.exists():
        pytest.skip(f"SKIPPED LOUDLY: axe-core is not installed at {AXE} (npm ci)")


def _sweep(page, label: str) -> list[str]:
    """The page as it is now, at every width (resized, not reloaded: error states stay)."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.locator("h1").count() == 1, (label, page.url)
        problems += [f"{label} {width}px: {p}" for p in _problems(page, width)]
    return problems


def _password(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_sign_in_pages_reflow_and_pass_axe(browser_page, live_server):
    org = OrganisationFactory(code="RAX1", name="Axe Teaching Hospitals")
    make_user(Role.GUARDIAN, org, username="gwen")
    page = browser_page
    problems: list[str] = []

    page.goto("/accounts/login/")
    problems += _sweep(page, "sign-in")
    _password(page, "gwen", "not the password at all")
    page.wait_for_selector(".nhsuk-error-summary, .nhsuk-error-message")
    problems += _sweep(page, "sign-in, wrong password")

    _password(page, "gwen")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    problems += _sweep(page, "MFA challenge")
    page.fill("input[name=code]", "000000")
    page.locator("main button[type=submit]").first.click()
    page.wait_for_selector(".nhsuk-error-summary, .nhsuk-error-message")
    problems += _sweep(page, "MFA challenge, wrong code")
    assert not problems, "\n".join(problems)


def test_mfa_enrolment_pages_reflow_and_pass_axe(browser_page, live_server):
    org = OrganisationFactory(code="RAX2", name="Axe Community Trust")
    make_user(Role.GUARDIAN, org, username="newg", mfa=False)
    page = browser_page
    problems: list[str] = []

    _password(page, "newg")
    page.goto("/cases/")  # staff without MFA are sent to enrol
    page.wait_for_url(re.compile(r"/accounts/2fa/enrol/$"))
    problems += _sweep(page, "MFA enrolment")
    page.get_by_role("link", name="Use an authenticator app").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    problems += _sweep(page, "TOTP activation")
    page.fill("input[name=code]", "000000")
    page.locator("main button[type=submit]").first.click()
    page.wait_for_selector(".nhsuk-error-summary, .nhsuk-error-message")
    problems += _sweep(page, "TOTP activation, wrong code")
    assert not problems, "\n".join(problems)
