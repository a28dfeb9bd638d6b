"""The anonymous reporter's journey in a real browser: raise, keep the receipt, come back,
read the guardian's reply and answer it."""

import re

import pytest

from concerns.models import Concern
from tests.e2e.raise_walk import walk_raise_journey
from tests.factories import OrganisationFactory, make_user
from workflow.models import Case, Message
from workflow.services import handling

CODE_RE = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4,5}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_anonymous_reporter_raises_comes_back_with_receipt_and_reads_reply(browser_page):
    page = browser_page
    org = OrganisationFactory(code="RB1", name="Browser Test Trust")
    guardian = make_user("guardian", org, username="gwen")

    # Given an anonymous reporter raising a concern without an account
    page.goto("/")
    page.get_by_role("link", name="Raise a concern").click()
    walk_raise_journey(
        page, org, description="The consultant shouts at students on the ward round."
    )
    page.get_by_role("button", name="Send my concern").click()

    # When the receipt is shown, they read the code from the page
    page.wait_for_selector("#receipt-code")
    code = CODE_RE.search(page.locator("#receipt-code").inner_text()).group(0)
    assert code not in page.url
    concern = Concern.objects.get()
    assert concern.route == "anonymous" and concern.reporter_id is None

    # And a guardian replies
    case = Case.objects.get()
    handling.case_assign(case=case, guardian=guardian, actor=guardian)
    handling.case_message_send(case=case, actor=guardian, body="Thank you. Which ward was it?")

    # Then a reload does not show the code again
    page.reload()
    assert not CODE_RE.search(page.content())

    # And coming back with the receipt shows the reply
    page.goto("/")
    page.get_by_role("link", name="Check on an anonymous concern (I have a receipt code)").click()
    page.get_by_label("Your receipt code").fill(code.lower())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector("#conversation")
    assert "Which ward was it?" in page.locator("#conversation").inner_text()
    assert code not in page.url and "/receipt/concern/" in page.url

    # And they can answer
    page.get_by_label("Your reply").fill("Ward 7, on Tuesdays.")
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_selector("text=Your reply has been sent")
    assert "Ward 7, on Tuesdays." in page.locator("#conversation").inner_text()
    assert Message.objects.filter(side="reporter").count() == 1
