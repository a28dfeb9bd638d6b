"""A message appears in place on the other party's open page, over the socket, without a
reload: the guardian's case page and the reporter's concern page, both open at once.

Served as the embedded deployment serves it (uvicorn, in-memory channel layer: conftest's
AsgiServer), so the send a page's request makes after commit reaches the other page's
socket. Each page is marked before the other party acts; the mark surviving shows that the
page was not reloaded."""

from __future__ import annotations

import pytest
from django.test import Client

from concerns.roles import Role
from tests.factories import OrganisationFactory, case_in_state, make_user, raise_concern

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GUARDIAN_SAYS = "Could you tell me which ward this was?"
REPORTER_SAYS = "It was Ward 9, on the night shifts."


def _person(browser, server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=server.url)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def _open_and_listening(page, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("[data-live-socket][data-live-state=open]")
    page.evaluate("() => { window.notReloaded = true; }")


def test_a_message_appears_on_the_other_partys_open_page(asgi_browser, asgi_server):
    org = OrganisationFactory(code="RL11", name="Live Placement NHS Trust")
    guardian = make_user(Role.GUARDIAN, org, username="gethin", first_name="Gethin")
    reporter = make_user(Role.REPORTER, username="rosalind", first_name="Rosalind")
    case = raise_concern(org, route="open", reporter=reporter, reporter_name="Rosalind").case
    case = case_in_state(case, "investigating", guardian=guardian)
    theirs = _person(asgi_browser, asgi_server, guardian)
    mine = _person(asgi_browser, asgi_server, reporter)
    _open_and_listening(theirs, f"/cases/{case.reference}/")
    _open_and_listening(mine, f"/my-concerns/{case.reference}/")

    # When the guardian sends a message
    theirs.get_by_label("Message to the reporter").fill(GUARDIAN_SAYS)
    theirs.get_by_role("button", name="Send message").click()

    # Then it appears on the reporter's open page, which was not reloaded
    mine.locator("#conversation", has_text=GUARDIAN_SAYS).wait_for()
    assert mine.evaluate("() => window.notReloaded === true")

    # And when the reporter answers, the answer appears on the guardian's open page
    _open_and_listening(theirs, f"/cases/{case.reference}/")
    events = theirs.locator("#timeline li").count()
    mine.get_by_label("Your reply").fill(REPORTER_SAYS)
    mine.get_by_role("button", name="Send reply").click()
    theirs.locator("#conversation-messages", has_text=REPORTER_SAYS).wait_for()
    assert theirs.evaluate("() => window.notReloaded === true")
    theirs.wait_for_function(f"() => document.querySelectorAll('#timeline li').length > {events}")
    # a message is shown in place: no "reload to see it" banner for it
    assert theirs.locator("[data-live-banner]").count() == 0
