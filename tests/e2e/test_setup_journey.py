"""Issue 18, item 4: an administrator sets up a new trust from nothing (organisation,
department, a guardian's invitation) in a real browser, and the invited guardian sets a
password, enrols an authenticator app and sees the empty queue.

Every set-up page is checked at 320 and 1280 px: no sideways scrolling and no axe-core
WCAG 2.2 A/AA violation (the same check as tests/e2e/test_reflow_axe.py), one h1, every
input labelled. That is the index, organisations (add, the organisation's own page, a
department's rename), staff (list, invite, deactivate), categories (list and a category's
form), retention, and then the guardian's side: the invitation's page and MFA enrolment."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail

from concerns.roles import Role
from tests.e2e.test_reflow_axe import AXE, _problems
from tests.factories import (
    PASSWORD,
    TOTP_SECRET,
    OrganisationFactory,
    make_user,
    raise_concern,
    totp_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SETUP_PAGES = [
    "/setup/",
    "/setup/organisations/add/",
    "/setup/organisations/RRV/",
    "/setup/staff/invite/",
    "/setup/staff/",
    "/setup/categories/",
    "/setup/categories/patient-safety/",
    "/setup/retention/",
]


def _fresh_code(secret: str) -> str:
    left = 30 - time.time() % 30
    if left < 3:
        time.sleep(left + 0.2)
    return totp_code(secret)


def _check_layout(page, width: int, paths: list[str] | None = None) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    for path in paths or SETUP_PAGES:
        if path != "":  # "" is the page already open
            response = page.goto(path)
            assert response is not None and response.status == 200, (path, response)
        # the page's own content first (a precise message), then the whole page
        wide = page.evaluate(
            """[...document.querySelectorAll('main *')]
               .filter(e => !e.closest('.nhsuk-table-responsive thead'))  // visually hidden
               .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
               .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
        )
        assert wide == [], (path, width, wide)
        assert page.locator("h1").count() == 1, path
        # and the whole page: no sideways scrolling, no axe-core WCAG 2.2 A/AA violation
        assert AXE.exists(), f"axe-core is not installed at {AXE} (npm ci)"
        problems = _problems(page, width)
        assert problems == [], (path, width, problems)
        unlabelled = page.evaluate(
            """[...document.querySelectorAll('main input:not([type=hidden]), main select')]
               .filter(e => !(e.labels && e.labels.length)).map(e => e.name)"""
        )
        assert unlabelled == [], (path, unlabelled)


def test_an_administrator_sets_up_a_trust_and_the_guardian_reaches_the_empty_queue(
    browser_page, live_server
):
    make_user(Role.ADMIN, username="ada", is_staff=True, is_superuser=True)
    # another trust's concern: the new guardian's queue must not show it
    raise_concern(OrganisationFactory(code="ROTH", name="Another Trust"))
    page = browser_page

    # The administrator signs in with password and code
    page.goto("/accounts/login/?next=/setup/")
    page.fill("input[name=login]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", _fresh_code(TOTP_SECRET))
    page.locator("main button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/setup/$"))
    assert page.get_by_role("heading", name="Set up Speak Up").is_visible()

    # ...adds the organisation, with its ODS code
    page.get_by_role("link", name="Add an organisation").click()
    page.get_by_label("Name").fill("Riverside Teaching Hospitals")
    page.get_by_label("ODS code").fill("RRV")
    page.get_by_role("button", name="Add organisation").click()
    page.wait_for_url(re.compile(r"/setup/organisations/RRV/$"))

    # ...a department
    page.get_by_label("Department or site").fill("Emergency department")
    page.get_by_role("button", name="Add department or site").click()
    assert page.get_by_text("Emergency department").first.is_visible()

    # ...and invites a guardian for it
    page.goto("/setup/staff/invite/")
    page.get_by_label("Email address").fill("grace@riverside.nhs.uk")
    page.get_by_label("Username").fill("grace")
    page.get_by_label(re.compile(r"^Guardian: handles")).check()
    page.get_by_label("Riverside Teaching Hospitals").check()
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_url(re.compile(r"/setup/staff/$"))
    assert page.get_by_role("cell", name=re.compile("grace")).first.is_visible()

    from django.contrib.auth import get_user_model

    from concerns.models import Department

    department = Department.objects.get(name="Emergency department")
    grace = get_user_model().objects.get(username="grace")
    more = [
        f"/setup/organisations/RRV/departments/{department.pk}/",
        f"/setup/staff/{grace.pk}/deactivate/",
    ]
    for width in (320, 1280):
        _check_layout(page, width)
        _check_layout(page, width, more)
    page.get_by_role("button", name=re.compile(r"^Sign out")).first.click()

    # The guardian opens the link in the email
    (message,) = [m for m in mail.outbox if m.to == ["grace@riverside.nhs.uk"]]
    link = re.search(r"/setup/invitation/\S+/", message.body).group(0)
    for width in (1280, 320):
        _check_layout(page, width, [link])
    page.get_by_label("New password", exact=True).fill("a river runs through the ward")
    page.get_by_label("New password confirmation").fill("a river runs through the ward")
    page.get_by_role("button", name="Set password").click()

    # ...is sent to set up MFA, and does
    page.wait_for_url(re.compile(r"/accounts/2fa/enrol/$"))
    for width in (320, 1280):
        _check_layout(page, width, [""])
    page.get_by_role("link", name="Use an authenticator app").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    for width in (320, 1280):
        _check_layout(page, width, [""])
    secret = page.locator("#authenticator_secret").input_value()
    page.fill("input[name=code]", _fresh_code(secret))
    page.locator("main button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))

    # ...and sees the empty queue of her trust
    page.goto("/cases/")
    assert page.get_by_role("heading", name="Cases", exact=True).is_visible()
    assert page.locator("#queue-total").inner_text() == "0 open cases"
    assert page.locator("table.su-queue").count() == 0
    assert page.get_by_text("No cases match these filters.").is_visible()
