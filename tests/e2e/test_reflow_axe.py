"""Every key page, as each person sees it, at 320, 640 and 1280 px in a real browser: nothing
scrolls sideways (WCAG 2.2 1.4.10 Reflow) and axe-core finds no WCAG 2.2 A/AA violation.

People are signed in with a session made on the server (not through the sign-in page, whose
markup another change owns). axe-core comes from npm (package.json); it is evaluated through
the DevTools protocol, which our Content-Security-Policy does not (and should not) allow for
page scripts.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from concerns.roles import Role
from tests.e2e.raise_walk import walk_raise_journey
from tests.factories import OrganisationFactory, case_in_state, make_user, raise_concern
from workflow.services import reporter as reporter_actions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (320, 640, 1280)  # a phone, 200% zoom of a laptop, desktop
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.fixture
def world():
    org = OrganisationFactory(code="RA11", name="Reflow Placement NHS Foundation Trust")
    org.guardian_contact = "Email ftsu@reflow.example.nhs.uk or call 0113 496 0000."
    org.save()
    people = {
        "reporter": make_user(Role.REPORTER, username="rhiannon", first_name="Rhiannon"),
        "guardian": make_user(Role.GUARDIAN, org, username="gwendolyn", first_name="Gwendolyn"),
        "lead": make_user(Role.LEAD_GUARDIAN, org, username="leonora", first_name="Leonora"),
        "committee": make_user(Role.COMMITTEE, org, username="cornelius"),
    }
    mine = raise_concern(org, route="open", reporter=people["reporter"], reporter_name="R").case
    mine = case_in_state(mine, "feedback_given", guardian=people["guardian"])
    reporter_actions.concern_message_reply(case=mine, actor=people["reporter"], body="Thank you.")
    open_case = case_in_state(raise_concern(org).case, "investigating", guardian=people["guardian"])
    raise_concern(org)  # unassigned
    return {"people": people, "mine": mine, "open": open_case}


def _pages(world) -> dict[str, list[str]]:
    return {
        "": ["/", "/raise/", "/receipt/", "/accessibility/", "/privacy/", "/standards/"],
        "reporter": ["/my-concerns/", f"/my-concerns/{world['mine'].reference}/"],
        "guardian": [
            "/cases/",
            "/cases/?status=all&due=overdue",
            "/notifications/",
            f"/cases/{world['open'].reference}/",
        ],
        "lead": ["/cases/workload/", f"/cases/{world['open'].reference}/"],
        "committee": ["/reports/"],
    }


@functools.cache
def _axe_source() -> str:
    return AXE.read_text()


def _overflow(page) -> int:
    """How far the page scrolls sideways, measured after the next two frames are laid out."""
    return page.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() =>"
        " done(document.documentElement.scrollWidth - document.documentElement.clientWidth))))"
    )


def _problems(page, width: int) -> list[str]:
    page.wait_for_load_state()
    found = []
    overflow = _overflow(page)
    if overflow > 0:
        # Just after a resize the header's responsive menu (NHS.UK JavaScript) may not have
        # rearranged itself yet: only an overflow still there a moment later is one a
        # reader meets.
        page.wait_for_timeout(250)
        overflow = _overflow(page)
    if overflow > 0:
        wide = page.evaluate(
            """(w) => [...document.querySelectorAll('body *')]
                 .filter(e => e.getBoundingClientRect().right > w + 1)
                 .slice(0, 3).map(e => e.tagName + '.' + e.className)""",
            width,
        )
        found.append(f"scrolls sideways by {overflow}px ({wide})")
    if not page.evaluate("() => typeof axe !== 'undefined'"):  # once per document
        page.evaluate(_axe_source())
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']}))"
        ".violations.map(v => ({id: v.id, nodes: v.nodes.slice(0, 3).map(n => n.target)}))",
        WCAG,
    )
    found += [f"axe {v['id']}: {json.dumps(v['nodes'])}" for v in result]
    return found


def _visit(browser_page, path: str) -> None:
    response = browser_page.goto(path)
    assert response is not None and response.status < 400, (path, response and response.status)


def test_key_pages_reflow_and_pass_axe_for_every_person(browser_page, world, live_server):
    if not AXE.exists():
        pytest.skip(f"SKIPPED LOUDLY: axe-core is not installed at {AXE} (npm ci)")
    context = browser_page.context
    problems: list[str] = []
    for who, paths in _pages(world).items():
        context.clear_cookies()
        if who:
            cookie = {"name": "sessionid", "value": _session(world["people"][who])}
            context.add_cookies([{**cookie, "url": live_server.url}])
        for width in WIDTHS:
            browser_page.set_viewport_size({"width": width, "height": 900})
            for path in paths:
                _visit(browser_page, path)
                problems += [
                    f"{who or 'visitor'} {width}px {path}: {p}"
                    for p in _problems(browser_page, width)
                ]
    assert not problems, "\n".join(problems)


def test_error_states_reflow_and_pass_axe(browser_page, world, live_server):
    if not AXE.exists():
        pytest.skip(f"SKIPPED LOUDLY: axe-core is not installed at {AXE} (npm ci)")
    problems: list[str] = []
    for width in WIDTHS:
        browser_page.set_viewport_size({"width": width, "height": 900})
        # the raise form sent empty, and a wrong receipt code
        _visit(browser_page, "/raise/")
        browser_page.get_by_role("button", name="Continue").click()
        browser_page.wait_for_selector(".nhsuk-error-summary")
        problems += [f"{width}px raise errors: {p}" for p in _problems(browser_page, width)]
        _visit(browser_page, "/receipt/")
        browser_page.get_by_label("Your receipt code").fill("0000-0000-0000-0000-0000")
        browser_page.get_by_role("button", name="Continue").click()
        browser_page.wait_for_selector(".nhsuk-error-summary, .nhsuk-error-message")
        problems += [f"{width}px receipt error: {p}" for p in _problems(browser_page, width)]
    assert not problems, "\n".join(problems)


def test_the_receipt_page_reflows_keeps_groups_whole_and_passes_axe(browser_page, world):
    if not AXE.exists():
        pytest.skip(f"SKIPPED LOUDLY: axe-core is not installed at {AXE} (npm ci)")
    page = browser_page
    page.set_viewport_size({"width": 320, "height": 900})
    page.goto("/raise/")
    walk_raise_journey(page)
    page.get_by_role("button", name="Send my concern").click()
    page.wait_for_selector("#receipt-code")
    assert _problems(page, 320) == []
    # each group of four sits on one line: its box is one line high
    heights = page.evaluate(
        "() => [...document.querySelectorAll('.su-receipt__group')]"
        ".map(g => g.getClientRects().length)"
    )
    assert heights and set(heights) == {1}, heights


def test_the_receipt_downloads_copies_and_prints_in_the_browser(browser_page, world):
    page = browser_page
    page.goto("/raise/")
    walk_raise_journey(page)
    page.get_by_role("button", name="Send my concern").click()
    page.wait_for_selector("#receipt-code")
    code = page.locator("#receipt-code-value").get_attribute("value")
    # the JavaScript-only buttons appear when JavaScript can do them
    assert page.get_by_role("button", name="Print this page").is_visible()
    assert page.get_by_role("button", name="Copy the code").is_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as a text file").click()
    saved = Path(download.value.path()).read_text()
    assert code in saved and download.value.suggested_filename == "speak-up-receipt.txt"
    assert code not in page.url
    # moving on without ticking the box is refused, with the code still shown
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_text("Confirm that you have saved your receipt code").first.is_visible()
    page.get_by_label("I have saved my receipt code").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/receipt/")
    assert code not in page.content()
