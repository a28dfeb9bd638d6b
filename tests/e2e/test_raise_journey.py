"""The raise journey in a real browser: route first, one question per page, a sign-in detour
that loses nothing, check your answers, send, and the receipt download; and every journey
page (normal and with errors) reflows and passes axe at 320, 640 and 1280 px."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from concerns.models import Concern
from concerns.roles import Role
from tests.e2e.raise_walk import continue_, walk_raise_journey
from tests.factories import PASSWORD, OrganisationFactory, make_user
from workflow.models import Case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (320, 640, 1280)
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DESCRIPTION = "Students are left alone on the ward at night, with nobody to ask."
HOPED = "A senior on every shift."
CODE_RE = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4,5}")


@pytest.fixture
def org(db):
    return OrganisationFactory(code="RJ1", name="Journey Placement NHS Trust")


def _problems(page, width: int) -> list[str]:
    """Sideways scrolling and axe-core violations on the page as it is now (the same checks
    as tests/e2e/test_reflow_axe.py)."""
    page.wait_for_load_state()
    found = []
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        found.append(f"scrolls sideways by {overflow}px")
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, nodes: v.nodes.slice(0, 3).map(n => n.target)}))",
        WCAG,
    )
    found += [f"axe {v['id']}: {json.dumps(v['nodes'])}" for v in result]
    return found


def _answer_questions(page, org, *, route: str = "Anonymous") -> None:
    walk_raise_journey(page, org, route=route, description=DESCRIPTION, hoped=HOPED)


def test_a_sign_in_detour_loses_nothing_then_check_answers_and_send(browser_page, org):
    page = browser_page
    reporter = make_user(Role.REPORTER, username="sian", first_name="Sian", last_name="Jones")
    # Given a signed-out reporter who answers every question anonymously
    page.goto("/")
    page.get_by_role("link", name="Raise a concern").click()
    assert page.get_by_role("heading", name="Who should know your name?").is_visible()
    _answer_questions(page, org)
    page.wait_for_url("**/raise/check/")
    assert DESCRIPTION in page.locator("#answers").inner_text()

    # When they change their mind: confidential, which needs them to sign in
    page.get_by_role("link", name="Change who knows your name").click()
    page.get_by_label("Confidential", exact=True).check()
    continue_(page)
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/raise/contact/$"))
    page.fill("input[name=login]", "sian")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    # Then they come back to the one question still to answer, prefilled from the account
    page.wait_for_url("**/raise/contact/")
    assert page.get_by_label("Your name").input_value() == "Sian Jones"
    page.get_by_label("How can the guardian contact you?").fill("sian@example.nhs.uk")
    continue_(page)

    # And check answers still has everything typed before the detour
    page.wait_for_url("**/raise/check/")
    answers = page.locator("#answers").inner_text()
    for typed in (DESCRIPTION, HOPED, str(org), "Confidential", "Sian"):
        assert typed in answers, typed

    # And a change there comes back to check answers
    page.get_by_role("link", name="Change what happened").click()
    assert page.get_by_label("What happened?").input_value() == DESCRIPTION
    page.get_by_label("What happened?").fill(DESCRIPTION + " Every Tuesday.")
    continue_(page)
    page.wait_for_url("**/raise/check/")
    assert "Every Tuesday." in page.locator("#answers").inner_text()

    # When they send it
    page.get_by_role("button", name="Send my concern").click()
    page.wait_for_url("**/raise/sent/*/")
    concern = Concern.objects.get()
    assert Case.objects.count() == 1
    assert concern.reporter == reporter and concern.route == "confidential"
    assert concern.description == DESCRIPTION + " Every Tuesday."
    assert concern.reporter_contact == "sian@example.nhs.uk"


def test_an_anonymous_journey_ends_with_the_receipt_download(browser_page, org):
    page = browser_page
    page.goto("/raise/")
    _answer_questions(page, org)
    page.wait_for_url("**/raise/check/")
    page.get_by_label("Attach files (optional)").set_input_files(
        files=[{"name": "rota.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n%x\n"}]
    )
    page.get_by_role("button", name="Send my concern").click()
    page.wait_for_selector("#receipt-code")
    code = CODE_RE.search(page.locator("#receipt-code").inner_text()).group(0)
    assert code not in page.url
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as a text file").click()
    assert code in Path(download.value.path()).read_text()
    concern = Concern.objects.get()
    assert concern.route == "anonymous" and concern.reporter_id is None
    assert [a.filename for a in concern.attachments.all()] == ["rota.pdf"]
    # and going back to the journey finds nothing left of it
    page.goto("/raise/check/")
    page.wait_for_url("**/raise/who/")
    assert DESCRIPTION not in page.content()


def test_every_journey_page_reflows_and_passes_axe(browser_page, org):
    if not AXE.exists():
        pytest.skip(f"SKIPPED LOUDLY: axe-core is not installed at {AXE} (npm ci)")
    page = browser_page
    make_user(Role.REPORTER, username="nia")
    # a signed-in reporter, so the contact page is in the journey too
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "nia")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state()
    page.goto("/raise/")
    _answer_questions(page, org, route="Open")
    page.wait_for_url("**/raise/contact/")
    page.get_by_label("How can the guardian contact you?").fill("nia@example.nhs.uk")
    continue_(page)
    page.wait_for_url("**/raise/check/")
    slugs = ("who", "where", "about", "happened", "hoped", "elsewhere", "you", "contact")
    problems: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for slug in (*slugs, "check"):
            page.goto(f"/raise/{slug}/")
            assert page.locator("#exit-this-page").is_visible(), slug
            problems += [f"{width}px {slug}: {p}" for p in _problems(page, width)]
        # error states: a page sent empty, and a bad file on check answers
        page.goto("/raise/happened/")
        page.get_by_label("What happened?").fill("")
        continue_(page)
        page.wait_for_selector(".nhsuk-error-summary")
        assert page.title().startswith("Error: ")
        problems += [f"{width}px happened error: {p}" for p in _problems(page, width)]
        page.goto("/raise/check/")
        page.get_by_label("Attach files (optional)").set_input_files(
            files=[{"name": "x.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf"}]
        )
        page.get_by_role("button", name="Send my concern").click()
        page.wait_for_selector(".nhsuk-error-summary")
        problems += [f"{width}px check error: {p}" for p in _problems(page, width)]
    assert not problems, "\n".join(problems)
    assert Concern.objects.count() == 0
