"""The Django admin site under the same bar as our own pages: at 320, 640 and 1280 px nothing
scrolls sideways and axe-core finds no WCAG 2.2 A/AA violation (index, a list, a change form
and its error state, and the sign-in the admin site sends you to)."""

from __future__ import annotations

import pytest

from concerns.roles import Role
from tests.e2e.test_reflow_axe import AXE, WIDTHS, _problems, _session, _visit
from tests.factories import OrganisationFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_world():
    org = OrganisationFactory(code="RA12", name="Admin Reflow Placement NHS Foundation Trust")
    ada = make_user(Role.ADMIN, username="adelaide", is_staff=True, is_superuser=True)
    return {"org": org, "admin": ada}


def _admin_pages(world) -> list[str]:
    org = world["org"]
    return [
        "/admin/",
        "/admin/concerns/organisation/",
        "/admin/concerns/category/",
        "/admin/auth/user/",
        f"/admin/concerns/organisation/{org.pk}/change/",
        f"/admin/auth/user/{world['admin'].pk}/change/",
        "/admin/concerns/organisation/add/",
    ]


def test_admin_pages_reflow_and_pass_axe(browser_page, admin_world, live_server):
    if not AXE.exists():
        pytest.skip(f"SKIPPED LOUDLY: axe-core is not installed at {AXE} (npm ci)")
    page, problems = browser_page, []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.context.clear_cookies()
        _visit(page, "/admin/login/")  # signed out: the site's own sign-in page
        assert "/accounts/login/" in page.url
        problems += [f"{width}px admin sign-in: {p}" for p in _problems(page, width)]
        cookie = {"name": "sessionid", "value": _session(admin_world["admin"])}
        page.context.add_cookies([{**cookie, "url": live_server.url}])
        for path in _admin_pages(admin_world):
            _visit(page, path)
            problems += [f"{width}px {path}: {p}" for p in _problems(page, width)]
        # a change form sent with a required field empty
        _visit(page, "/admin/concerns/organisation/add/")
        page.locator("input[type=submit][name=_save]").click()
        page.wait_for_selector(".errornote")
        problems += [f"{width}px organisation add, errors: {p}" for p in _problems(page, width)]
    assert not problems, "\n".join(problems)
