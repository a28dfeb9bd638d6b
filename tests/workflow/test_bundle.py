"""The case bundle: the whole case as a tagged PDF for an investigation, its download a case
event in the timeline; the reporter's identity only when the guardian may know it."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.factories import case_in_state, raise_concern
from workflow.models import CaseEvent, EventKind
from workflow.services import handling
from workflow.services import reporter as reporter_actions
from workflow.services.raising import NewAttachment

pytestmark = pytest.mark.django_db

NAME, CONTACT = "Priya Marker-Name", "priya.marker@example.org"


def _bundle(client, case):
    return client.post(f"/cases/{case.reference}/bundle/")


def _text(response) -> str:
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def _downloads(case) -> list[str]:
    return list(
        CaseEvent.objects.filter(case=case, kind=EventKind.BUNDLE_DOWNLOADED).values_list(
            "note", flat=True
        )
    )


@pytest.fixture
def worked(org, guardian, reporter):
    """An open concern, worked through to an outcome, with a message each way and a note."""
    raised = raise_concern(
        org,
        route="open",
        reporter=reporter,
        reporter_name=NAME,
        reporter_contact=CONTACT,
        attachments=[
            NewAttachment(filename="Priya_statement.pdf", content_type="application/pdf", data=b"x")
        ],
    )
    case = case_in_state(raised.case, "investigating", guardian=guardian)
    handling.case_message_send(case=case, actor=guardian, body="Which ward was this on?")
    reporter_actions.concern_message_reply(case=case, actor=reporter, body="Ward 12, at night.")
    handling.case_note_add(case=case, actor=guardian, body="Spoke to the ward manager.")
    handling.case_outcome_record(
        case=case, actor=guardian, upheld="upheld", findings="The rota was unsafe."
    )
    return case


def test_the_assigned_guardian_downloads_the_whole_case(client, worked, guardian):
    client.force_login(guardian)
    response = _bundle(client, worked)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="case-bundle-{worked.reference}.pdf"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    text = _text(response)
    for expected in (
        f"Case bundle: {worked.reference}",
        "The night rota leaves the ward without a registrar.",  # the concern
        "Which ward was this on?",
        "Ward 12, at night.",
        "Spoke to the ward manager.",
        "The rota was unsafe.",
        "Attachment 1 application/pdf",
        "Status changed",  # the timeline
        NAME,  # an open concern: the guardian knows who raised it
        CONTACT,
    ):
        assert expected in text, expected
    assert "Priya_statement" not in text  # a stored filename may name the reporter


def test_the_download_is_a_case_event_in_the_timeline(client, worked, guardian):
    client.force_login(guardian)
    _bundle(client, worked)

    assert _downloads(worked) == ["With the reporter's identity."]
    page = client.get(f"/cases/{worked.reference}/").content.decode()
    assert "Case bundle downloaded" in page
    assert "Download the case bundle (PDF)" in page


def test_a_confidential_reporter_is_named_only_once_revealed(client, org, guardian, reporter):
    raised = raise_concern(
        org, route="confidential", reporter=reporter, reporter_name=NAME, reporter_contact=CONTACT
    )
    case = handling.case_assign(case=raised.case, guardian=guardian, actor=guardian)
    client.force_login(guardian)

    before = _text(_bundle(client, case))
    assert NAME not in before and CONTACT not in before
    assert "Not shown (confidential, not revealed)" in before
    assert reporter.username not in before  # never the account they signed in with

    handling.case_identity_reveal(case=case, actor=guardian, reason="Needed to interview.")
    after = _text(_bundle(client, case))
    assert NAME in after and CONTACT in after
    assert _downloads(case) == [
        "Without the reporter's identity.",
        "With the reporter's identity.",
    ]


def test_an_anonymous_reporter_is_never_named(client, org, guardian):
    case = handling.case_assign(
        case=raise_concern(org, reporter_name=NAME).case, guardian=guardian, actor=guardian
    )
    client.force_login(guardian)
    text = _text(_bundle(client, case))
    assert NAME not in text and "Not shown (anonymous)" in text


def test_the_bundle_is_a_tagged_pdf(client, worked, guardian):
    client.force_login(guardian)
    reader = PdfReader(io.BytesIO(_bundle(client, worked).content))
    catalog = reader.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"]) and catalog["/Lang"] == "en-GB"
    assert reader.metadata.title == f"Case bundle: {worked.reference}"
    assert "/StructTreeRoot" in catalog


def test_a_long_concern_runs_over_pages(client, org, guardian):
    words = " ".join(f"word{n}" for n in range(2500))
    case = handling.case_assign(
        case=raise_concern(org, description=words).case, guardian=guardian, actor=guardian
    )
    client.force_login(guardian)
    text = _text(_bundle(client, case))
    assert "word0 " in text and "word2499" in text


def test_a_guardian_who_may_not_handle_the_case_is_refused(client, worked, other_guardian):
    client.force_login(other_guardian)  # sees the organisation's cases, does not hold this one
    assert _bundle(client, worked).status_code == 403
    assert _downloads(worked) == []


@pytest.mark.parametrize("who", ["reporter", "committee", "outsider_guardian"])
def test_those_who_may_not_see_the_case_get_not_found(client, request, worked, who):
    client.force_login(request.getfixturevalue(who))
    assert _bundle(client, worked).status_code == 404
    assert _downloads(worked) == []


def test_anonymous_visitors_are_sent_to_sign_in_and_get_is_refused(client, worked, guardian):
    response = _bundle(client, worked)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(guardian)
    assert client.get(f"/cases/{worked.reference}/bundle/").status_code == 405
    assert _downloads(worked) == []
