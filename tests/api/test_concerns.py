"""Raising concerns and a reporter's own concerns, for every role."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rest_framework.test import APIClient

from concerns.models import Concern
from tests.api.conftest import client_for, receipt_token
from tests.factories import case_in_state
from workflow.models import Case, Message

pytestmark = pytest.mark.django_db

RAISE = "/api/v1/concerns/"


def _concern(route: str = "anonymous", **extra):
    return {
        "organisation": "RX1",
        "categories": ["patient-safety", "education-quality"],
        "description": "Students are left to run the ward at night.",
        "route": route,
        **extra,
    }


# --- raising ---------------------------------------------------------------------------


def test_anyone_may_raise_anonymously_and_gets_the_receipt_once(org):
    response = APIClient().post(RAISE, _concern(standards=["1.7"]), format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"reference", "status", "receipt_code"}
    assert body["status"] == "received"
    concern = Concern.objects.get(reference=body["reference"])
    assert concern.reporter is None and concern.reporter_name == ""
    assert {s.code for s in concern.standards.all()} >= {"1.7"}
    # The receipt opens a session for exactly this concern.
    assert (
        client_for(token=receipt_token(body["receipt_code"]))
        .get("/api/v1/anonymous/concern/")
        .json()["description"]
        == "Students are left to run the ward at night."
    )


def test_raising_names_an_unknown_or_retired_organisation_and_categories(org, other_org):
    # Given an organisation and a category that have been retired
    from concerns.models import Category

    other_org.is_active = False
    other_org.save(update_fields=["is_active"])
    Category.objects.filter(slug="bullying-harassment").update(is_active=False)

    # When a concern names them, or codes that never existed
    retired = _concern(organisation="RY2", categories=["bullying-harassment", "patient-safety"])
    made_up = _concern(organisation="NOPE", categories=["nope"])
    responses = [APIClient().post(RAISE, body, format="json") for body in (retired, made_up)]

    # Then each is a 400 naming what is not known, and nothing is raised
    assert [r.status_code for r in responses] == [400, 400]
    assert responses[0].json() == {
        "organisation": ["Object with code=RY2 does not exist."],
        "categories": ["Unknown: bullying-harassment."],
    }
    assert responses[1].json() == {
        "organisation": ["Object with code=NOPE does not exist."],
        "categories": ["Unknown: nope."],
    }
    assert not Concern.objects.exists()


def test_raising_links_the_organisation_and_categories_it_names(org):
    response = APIClient().post(RAISE, _concern(), format="json")

    concern = Concern.objects.get(reference=response.json()["reference"])
    assert concern.organisation_id == org.pk
    assert {c.slug for c in concern.categories.all()} == {"patient-safety", "education-quality"}


def test_a_signed_in_reporter_raises_openly_without_a_receipt(org, reporter):
    response = client_for(reporter).post(RAISE, _concern("confidential"), format="json")

    assert response.status_code == 201
    assert "receipt_code" not in response.json()
    concern = Concern.objects.get(reference=response.json()["reference"])
    assert concern.reporter == reporter
    assert concern.route == "confidential"


def test_a_signed_in_reporter_raising_anonymously_leaves_no_trace_of_themselves(org, reporter):
    response = client_for(reporter).post(RAISE, _concern("anonymous"), format="json")

    assert response.status_code == 201
    concern = Concern.objects.get(reference=response.json()["reference"])
    assert concern.reporter is None


@pytest.mark.parametrize("route", ["open", "confidential"])
def test_raising_openly_without_signing_in_is_401(org, route):
    response = APIClient().post(RAISE, _concern(route), format="json")

    assert response.status_code == 401
    assert "Sign in" in response.json()["detail"]
    assert not Concern.objects.exists()


def test_anonymous_raising_is_throttled_per_client(settings, org, reporter):
    # (the page's budget since issue 13, shared with it: the receipt policy's rate)
    settings.SPEAKUP_RECEIPTS = replace(
        settings.SPEAKUP_RECEIPTS, anonymous_raises_per_client_per_hour=2
    )
    client = APIClient()

    statuses = [client.post(RAISE, _concern(), format="json").status_code for _ in range(3)]
    signed_in_open = client_for(reporter).post(RAISE, _concern("open"), format="json")

    assert statuses == [201, 201, 429]
    assert Concern.objects.filter(route="anonymous").count() == 2
    # Accountable (open) raising is not held up by the anonymous limit.
    assert signed_in_open.status_code == 201


# --- the reporter's own concerns ----------------------------------------------------------


def test_a_reporter_lists_only_their_own_concerns(open_concern, other_org_concern, reporter):
    response = client_for(reporter).get(RAISE)

    assert response.status_code == 200
    body = response.json()
    assert [r["reference"] for r in body["results"]] == [open_concern.case.reference]
    assert body["next"] is None and body["previous"] is None


def test_a_reporter_sees_their_concern_with_a_timeline_but_no_internal_detail(
    open_concern, reporter, guardian, lead
):
    case = open_concern.case
    case = case_in_state(case, "acknowledged", guardian=guardian)
    client_for(guardian).post(
        f"/api/v1/cases/{case.reference}/notes/", {"body": "Internal: ask HR"}, format="json"
    )

    response = client_for(reporter).get(f"{RAISE}{case.reference}/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "acknowledged"
    assert body["categories"] == ["patient-safety"]
    assert [(e["kind"], e["to_state"]) for e in body["timeline"]] == [
        ("raised", "received"),
        ("transition", "acknowledged"),
    ]
    assert "Internal" not in response.content.decode()
    assert "gina" not in response.content.decode()


def test_a_reporter_reads_and_answers_the_conversation(open_concern, reporter, guardian):
    case = case_in_state(open_concern.case, "acknowledged", guardian=guardian)
    client_for(guardian).post(
        f"/api/v1/cases/{case.reference}/messages/", {"body": "Can you tell me more?"}, "json"
    )
    client = client_for(reporter)

    answer = client.post(f"{RAISE}{case.reference}/messages/", {"body": "Yes."}, format="json")
    thread = client.get(f"{RAISE}{case.reference}/messages/")

    assert answer.status_code == 201
    assert answer.json()["side"] == "reporter"
    assert [(m["side"], m["body"]) for m in thread.json()] == [
        ("guardian", "Can you tell me more?"),
        ("reporter", "Yes."),
    ]


def test_an_anonymous_reporter_answers_with_their_receipt_session(anonymous_concern):
    ref = anonymous_concern.case.reference
    client = client_for(token=receipt_token(anonymous_concern.receipt_code))

    response = client.post(
        "/api/v1/anonymous/concern/messages/", {"body": "More detail."}, format="json"
    )
    # (changed on purpose, issue 13: a receipt session's URLs carry no reference)
    by_reference = client.post(f"{RAISE}{ref}/messages/", {"body": "More."}, format="json")

    assert response.status_code == 201
    assert by_reference.status_code == 404
    message = Message.objects.get(case__reference=ref)
    assert message.author is None and message.side == "reporter"


def test_a_reporter_withdraws_and_cannot_withdraw_twice(open_concern, reporter):
    ref = open_concern.case.reference
    client = client_for(reporter)

    first = client.post(f"{RAISE}{ref}/withdraw/", {"reason": "Sorted locally"}, format="json")
    second = client.post(f"{RAISE}{ref}/withdraw/", {}, format="json")

    assert first.status_code == 200
    assert first.json()["status"] == "withdrawn"
    assert second.status_code == 409
    assert second.json()["detail"] == "This concern can no longer be withdrawn."


def test_would_you_speak_up_again_is_answered_once_closed(open_concern, reporter, guardian):
    ref = open_concern.case.reference
    client = client_for(reporter)
    too_early = client.post(f"{RAISE}{ref}/feedback/", {"answer": "yes"}, format="json")
    case_in_state(open_concern.case, "closed", guardian=guardian)

    answered = client.post(
        f"{RAISE}{ref}/feedback/", {"answer": "maybe", "comment": "It took long"}, format="json"
    )

    assert too_early.status_code == 409
    assert answered.status_code == 200
    assert answered.json()["answer"] == "maybe"
    assert client.get(f"{RAISE}{ref}/").json()["speak_up_again"]["answer"] == "maybe"


# --- denials -----------------------------------------------------------------------------

REPORTER_ENDPOINTS = [
    ("get", "{ref}/", None),
    ("get", "{ref}/messages/", None),
    ("post", "{ref}/messages/", {"body": "x"}),
    ("post", "{ref}/withdraw/", {}),
    ("post", "{ref}/feedback/", {"answer": "yes"}),
]


@pytest.mark.parametrize(("method", "path", "body"), REPORTER_ENDPOINTS)
def test_not_signed_in_is_401_on_reporter_endpoints(open_concern, method, path, body):
    url = RAISE + path.format(ref=open_concern.case.reference)

    response = getattr(APIClient(), method)(url, body, format="json")

    assert response.status_code == 401
    assert "detail" in response.json()


def test_not_signed_in_cannot_list_concerns():
    assert APIClient().get(RAISE).status_code == 401


@pytest.mark.parametrize("who", ["other_reporter", "guardian", "lead", "committee"])
@pytest.mark.parametrize(("method", "path", "body"), REPORTER_ENDPOINTS)
def test_anyone_but_the_reporter_gets_404(request, open_concern, who, method, path, body):
    # Guardians handling the case still cannot act as its reporter.
    user = request.getfixturevalue(who)
    url = RAISE + path.format(ref=open_concern.case.reference)

    response = getattr(client_for(user), method)(url, body, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Concern not found."}
    assert Case.objects.get(pk=open_concern.case.pk).status == "received"


def test_a_signed_in_reporter_cannot_reach_their_anonymous_concern_by_account(org, reporter):
    raised = client_for(reporter).post(RAISE, _concern("anonymous"), format="json").json()

    response = client_for(reporter).get(f"{RAISE}{raised['reference']}/")

    assert response.status_code == 404
