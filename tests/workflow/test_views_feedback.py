"""What the reporter learns, and when (issue 17, item 1): feedback is a written message shown
prominently, closing can share the outcome, a referral says where it went and whether the
name went too, every state reads in plain words, and "would you speak up again?" is asked once.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import case_in_state, raise_concern
from workflow.errors import InvalidInput
from workflow.models import MessageKind, Status
from workflow.policies import ReceiptHolder
from workflow.services import handling, transitions
from workflow.services import reporter as reporter_actions

CODE_RE = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4,5}\b")


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def open_case(org, reporter):
    return raise_concern(org, route="open", reporter=reporter, reporter_name="Rita").case


def reporter_page(client: Client, reporter, case) -> str:
    client.force_login(reporter)
    response = client.get(f"/my-concerns/{case.reference}/")
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, anchor: str) -> str:
    match = re.search(rf'<section[^>]*id="{anchor}".*?</section>', page, re.S)
    assert match, f"no #{anchor} section on the page"
    return match.group(0)


def anonymous_client_on_its_concern(org) -> tuple[Client, object]:
    """An anonymous reporter who raised through the page and came back with the code."""
    client = Client()
    from tests.workflow.test_views_reporter import concern_form

    assert client.post("/raise/", concern_form(org)).status_code == 302
    code = CODE_RE.search(client.get("/raise/receipt/").content.decode()).group(0)
    back = Client()
    assert back.post("/receipt/", {"code": code}).status_code == 302
    from workflow.models import Case

    return back, Case.objects.get(route="anonymous")


def test_feedback_written_on_the_guardian_page_reaches_an_anonymous_reporter(org, guardian):
    reporter, case = anonymous_client_on_its_concern(org)
    case = case_in_state(case, "investigating", guardian=guardian)
    staff = Client()
    staff.force_login(guardian)

    response = staff.post(
        f"/cases/{case.reference}/actions/give_feedback/",
        {
            "give_feedback-version": case.version,
            "give_feedback-message": "We found the night rota short; it now has two nurses.",
        },
    )
    assert response.status_code == 302

    page = reporter.get("/receipt/concern/").content.decode()
    feedback = section(page, "feedback")
    assert "Feedback from the guardian" in feedback
    assert "it now has two nurses" in feedback
    # prominent: above what they told us and the conversation
    assert page.index('id="feedback"') < page.index("What you told us")
    assert "Feedback given" in section(page, "standing")


def test_the_guardian_page_refuses_feedback_without_text(client, open_case, guardian):
    case = case_in_state(open_case, "investigating", guardian=guardian)
    client.force_login(guardian)
    response = client.post(
        f"/cases/{case.reference}/actions/give_feedback/",
        {"give_feedback-version": case.version, "give_feedback-message": "  "},
    )
    assert response.status_code == 400
    assert "Write your feedback to the reporter" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.INVESTIGATING


def test_closing_shares_the_outcome_summary(client, open_case, guardian, reporter):
    case = case_in_state(open_case, "feedback_given", guardian=guardian)
    handling.case_outcome_record(case=case, actor=guardian, upheld="upheld", findings="Unsafe.")
    client.force_login(guardian)
    response = client.post(
        f"/cases/{case.reference}/actions/close/",
        {"close-version": case.version + 1, "close-message": "Upheld: two nurses every night."},
    )
    assert response.status_code == 302, response.content.decode()[:500]

    page = reporter_page(Client(), reporter, case)
    assert "Upheld: two nurses every night." in section(page, "outcome")
    assert "Closed" in section(page, "standing")
    assert "Would you speak up again?" in page


@pytest.mark.parametrize(
    ("shared", "says"),
    [("yes", "Your name went with your concern"), ("no", "Your name was not passed on")],
)
def test_a_referral_says_where_it_went_and_whether_the_name_went(
    client, open_case, guardian, reporter, shared, says
):
    case = case_in_state(open_case, "investigating", guardian=guardian)
    client.force_login(guardian)
    response = client.post(
        f"/cases/{case.reference}/actions/refer/",
        {
            "refer-version": case.version,
            "refer-destination": "safeguarding",
            "refer-name_shared": shared,
            "refer-note": "A safeguarding matter.",
            "refer-message": "The safeguarding team will call you this week.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]

    page = reporter_page(Client(), reporter, case)
    standing = section(page, "standing")
    assert "Passed to another team" in standing
    assert "passed to Safeguarding" in standing
    assert says in standing
    assert "will call you this week" in section(page, "referral")


def test_the_refer_form_does_not_ask_about_an_anonymous_reporters_name(client, org, guardian):
    case = case_in_state(raise_concern(org).case, "investigating", guardian=guardian)
    client.force_login(guardian)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "refer-name_shared" not in page
    # and a crafted post cannot claim it
    response = client.post(
        f"/cases/{case.reference}/actions/refer/",
        {
            "refer-version": case.version,
            "refer-destination": "hr",
            "refer-name_shared": "yes",
            "refer-note": "HR",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.referral_name_shared) == (Status.REFERRED, False)


STATES = ["received", "acknowledged", "investigating", "feedback_given", "closed"]
HEADINGS = {
    "received": "Waiting to be acknowledged",
    "acknowledged": "Acknowledged",
    "investigating": "Being looked into",
    "feedback_given": "Feedback given",
    "closed": "Closed",
}


@pytest.mark.parametrize("state", STATES)
def test_every_state_reads_in_plain_words(client, open_case, guardian, reporter, state):
    case = case_in_state(open_case, state, guardian=guardian)
    standing = section(reporter_page(client, reporter, case), "standing")
    assert HEADINGS[state] in standing
    assert re.search(r"<p>[A-Z][^<]{20,}</p>", standing), "a sentence says what it means"


def test_withdrawn_and_reopened_read_in_plain_words(client, org, reporter, guardian):
    withdrawn = raise_concern(org, route="open", reporter=reporter).case
    transitions.case_withdraw(case=withdrawn, actor=reporter)
    assert "You withdrew this concern" in section(
        reporter_page(client, reporter, withdrawn), "standing"
    )
    reopened = case_in_state(
        raise_concern(org, route="open", reporter=reporter).case, "closed", guardian=guardian
    )
    transitions.case_reopen(case=reopened, actor=guardian, reason="New facts")
    page = reporter_page(client, reporter, reopened)
    assert "reopened" in section(page, "standing")
    # after a reopen the page does not ask "would you speak up again?" again
    assert "Would you speak up again?" not in page


def test_an_answered_question_is_not_asked_again_after_closing_twice(
    client, open_case, guardian, reporter
):
    case = case_in_state(open_case, "closed", guardian=guardian)
    reporter_actions.concern_speak_up_again_answer(case=case, actor=reporter, answer="yes")
    transitions.case_reopen(case=case, actor=guardian, reason="New facts")
    transitions.case_investigate(case=case, actor=guardian)
    transitions.case_give_feedback(case=case, actor=guardian, message="Same.")
    transitions.case_close(case=case, actor=guardian)

    page = reporter_page(client, reporter, case)
    assert "Would you speak up again?" not in page
    assert "you told us “Yes”" in page
    assert case.messages.filter(kind=MessageKind.SPEAK_UP_AGAIN).count() == 1


def test_the_organisations_guardian_contact_is_shown_to_the_reporter(
    client, org, open_case, reporter
):
    org.guardian_contact = "Email ftsu@north.example.nhs.uk or call 0113 496 0000."
    org.save()
    page = reporter_page(client, reporter, open_case)
    assert "ftsu@north.example.nhs.uk" in section(page, "guardian-contact")


def test_an_unassigned_case_says_assign_it_first(client, org, guardian):
    case = raise_concern(org).case
    client.force_login(guardian)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "assign it first" in page
    assert "No status change is open to you right now" not in page


# --- the email opt-out the reporter's emails promise ------------------------------------------


def test_a_reporter_turns_email_updates_off_and_on(client, org, reporter):
    case = raise_concern(
        org, route="open", reporter=reporter, reporter_contact="r@example.org", email_updates=True
    ).case
    client.force_login(reporter)
    page = f"/my-concerns/{case.reference}/"
    assert "Turn off email updates" in client.get(page).content.decode()

    off = client.post(page, {"email_updates": "off"})
    assert (off.status_code, off["Location"]) == (302, page)
    case.concern.refresh_from_db()
    assert case.concern.email_updates is False
    assert "Email me when there is news" in client.get(page).content.decode()

    client.post(page, {"email_updates": "on"})
    case.concern.refresh_from_db()
    assert case.concern.email_updates is True


def test_nobody_else_can_change_a_reporters_email_updates(client, org, reporter, other_reporter):
    case = raise_concern(org, route="open", reporter=reporter, email_updates=True).case
    client.force_login(other_reporter)
    assert (
        client.post(f"/my-concerns/{case.reference}/", {"email_updates": "off"}).status_code == 404
    )
    case.concern.refresh_from_db()
    assert case.concern.email_updates is True


def test_an_anonymous_concern_has_no_email_updates(org):
    reporter, case = anonymous_client_on_its_concern(org)
    page = reporter.get("/receipt/concern/").content.decode()
    assert "email updates" not in page.lower()
    with pytest.raises(InvalidInput):
        reporter_actions.concern_email_updates_set(
            case=case,
            actor=ReceiptHolder(concern_id=case.concern_id),
            email_updates=True,
        )
