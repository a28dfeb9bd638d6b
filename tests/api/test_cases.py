"""The guardian API: queue, case, events, assignment, transitions, messages, notes, outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from concerns.roles import Role
from tests.api.conftest import client_for
from tests.factories import case_in_state, make_user, raise_concern
from workflow.models import Case, CaseEvent, InternalNote

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"


@pytest.fixture
def case(org):
    return raise_concern(org, route="anonymous").case


@pytest.fixture
def other_case(other_org):
    return raise_concern(other_org, route="anonymous").case


# --- the queue ---------------------------------------------------------------------------


def test_a_guardian_sees_their_organisations_queue_only(case, other_case, guardian):
    response = client_for(guardian).get(CASES)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["reference"] for r in rows] == [case.reference]
    assert rows[0]["status"] == "received"
    assert rows[0]["categories"] == ["patient-safety"]
    assert rows[0]["assigned_guardian"] is None


def test_the_queue_filters_like_the_page(org, guardian, other_guardian):
    mine = case_in_state(raise_concern(org).case, "acknowledged", guardian=guardian)
    theirs = case_in_state(raise_concern(org).case, "received", guardian=other_guardian)
    unassigned = raise_concern(org, categories=("worker-safety",)).case
    Case.objects.filter(pk=unassigned.pk).update(due_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    client = client_for(guardian)

    def refs(query: str) -> set[str]:
        response = client.get(f"{CASES}?{query}")
        assert response.status_code == 200, response.content
        return {r["reference"] for r in response.json()["results"]}

    assert refs("assigned=me") == {mine.reference}
    assert refs("assigned=none") == {unassigned.reference}
    assert refs("status=acknowledged") == {mine.reference}
    assert refs("category=worker-safety") == {unassigned.reference}
    assert refs("overdue=true") == {unassigned.reference}
    assert refs("organisation=RX1") == {mine.reference, theirs.reference, unassigned.reference}
    assert refs("organisation=RY2") == set()
    assert refs("route=open") == set()


@pytest.mark.parametrize(
    "query", ["status=lost", "assigned=you", "route=secret", "overdue=perhaps", "sort=random"]
)
def test_a_bad_queue_filter_is_a_400_naming_the_field(guardian, query):
    response = client_for(guardian).get(f"{CASES}?{query}")

    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_the_queue_pages_without_counting_the_table(org, guardian):
    for _ in range(5):
        raise_concern(org)
    client = client_for(guardian)

    with CaptureQueriesContext(connection) as queries:
        first = client.get(f"{CASES}?page_size=2")
    second = client.get(first.json()["next"])
    last = client.get(f"{CASES}?page_size=2&page=3")

    assert len(first.json()["results"]) == 2 and first.json()["previous"] is None
    assert len(second.json()["results"]) == 2
    assert len(last.json()["results"]) == 1 and last.json()["next"] is None
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    # the token; the guardian's roles, organisations and whether they keep a case elsewhere
    # (one read); the page of cases; its categories: nothing per row, no count
    assert len(queries.captured_queries) <= 4, [q["sql"][:80] for q in queries.captured_queries]


def test_a_page_far_beyond_the_end_is_empty_not_an_error(case, guardian):
    response = client_for(guardian).get(f"{CASES}?page=99999999999999999999&page_size=abc")

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("who", ["reporter", "committee"])
def test_the_queue_is_for_guardians_only(request, case, who):
    response = client_for(request.getfixturevalue(who)).get(CASES)

    assert response.status_code == 403
    assert "detail" in response.json()


def test_the_queue_needs_signing_in(case):
    assert APIClient().get(CASES).status_code == 401


# --- one case ---------------------------------------------------------------------------


def test_a_guardian_reads_a_case_and_its_event_log(case, guardian):
    client = client_for(guardian)

    detail = client.get(f"{CASES}{case.reference}/")
    events = client.get(f"{CASES}{case.reference}/events/")

    assert detail.status_code == 200
    body = detail.json()
    assert body["description"] == "The night rota leaves the ward without a registrar."
    assert body["version"] == case.version
    # Not assigned: a plain guardian can take it, but cannot move it yet.
    assert body["available_transitions"] == []
    assert events.status_code == 200
    assert [(e["seq"], e["kind"], e["to_state"]) for e in events.json()] == [
        (1, "raised", "received")
    ]


def test_a_lead_assigns_a_guardian(case, lead, guardian):
    response = client_for(lead).post(
        f"{CASES}{case.reference}/assign/", {"guardian": "gina"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["assigned_guardian"] == "gina"
    assert "acknowledge" in response.json()["available_transitions"]
    assert CaseEvent.objects.filter(case=case, kind="assigned").count() == 1


def test_a_guardian_may_take_an_unassigned_case_but_not_give_it_away(
    case, guardian, other_guardian
):
    client = client_for(guardian)

    give = client.post(f"{CASES}{case.reference}/assign/", {"guardian": "gary"}, format="json")
    take = client.post(f"{CASES}{case.reference}/assign/", {"guardian": "gina"}, format="json")

    assert give.status_code == 403
    assert take.status_code == 200


def test_assigning_someone_outside_the_organisation_is_a_400(case, lead, outsider_guardian):
    response = client_for(lead).post(
        f"{CASES}{case.reference}/assign/", {"guardian": "oscar"}, format="json"
    )

    assert response.status_code == 400
    assert "guardian" in response.json()


def test_a_stale_version_is_refused_with_409(case, lead, guardian, other_guardian):
    client = client_for(lead)
    url = f"{CASES}{case.reference}/assign/"
    client.post(url, {"guardian": "gina", "version": case.version}, format="json")

    response = client.post(url, {"guardian": "gary", "version": case.version}, format="json")

    assert response.status_code == 409
    assert "changed" in response.json()["detail"]
    case.refresh_from_db()
    assert case.assigned_guardian == guardian


def test_a_transition_returns_the_case_in_its_new_status(case, guardian):
    case_in_state(case, "received", guardian=guardian)
    case.refresh_from_db()

    response = client_for(guardian).post(
        f"{CASES}{case.reference}/transitions/acknowledge/",
        {"note": "Thank you", "version": case.version},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    assert response.json()["version"] == case.version + 1


def test_a_transition_not_possible_now_is_409_with_the_reason(case, guardian):
    case = case_in_state(case, "acknowledged", guardian=guardian)
    client = client_for(guardian)

    close = client.post(f"{CASES}{case.reference}/transitions/close/", {}, format="json")
    feedback = client.post(f"{CASES}{case.reference}/transitions/give_feedback/", {}, "json")

    assert close.status_code == 409
    assert close.json()["detail"] == "This case is acknowledged: that action is not available."
    assert feedback.status_code == 409
    case.refresh_from_db()
    assert case.status == "acknowledged"


def test_a_transition_with_a_stale_version_is_409(case, guardian):
    case = case_in_state(case, "received", guardian=guardian)

    response = client_for(guardian).post(
        f"{CASES}{case.reference}/transitions/acknowledge/",
        {"version": case.version - 1},
        format="json",
    )

    assert response.status_code == 409
    case.refresh_from_db()
    assert case.status == "received"


def test_refer_needs_a_destination_and_reason(case, guardian):
    case = case_in_state(case, "acknowledged", guardian=guardian)
    client = client_for(guardian)
    url = f"{CASES}{case.reference}/transitions/refer/"

    bare = client.post(url, {}, format="json")
    referred = client.post(
        url, {"referral_destination": "safeguarding", "note": "A child at risk"}, format="json"
    )

    assert bare.status_code == 409
    assert referred.status_code == 200
    assert referred.json()["status"] == "referred"


@pytest.mark.parametrize("name", ["withdraw", "explode", "ACKNOWLEDGE"])
def test_an_unknown_or_reporter_only_transition_is_404(case, guardian, name):
    case = case_in_state(case, "acknowledged", guardian=guardian)

    response = client_for(guardian).post(f"{CASES}{case.reference}/transitions/{name}/", {}, "json")

    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == "acknowledged"


def test_a_guardian_not_assigned_may_read_but_not_move_or_message(case, guardian, other_guardian):
    case = case_in_state(case, "received", guardian=guardian)
    client = client_for(other_guardian)

    read = client.get(f"{CASES}{case.reference}/")
    move = client.post(f"{CASES}{case.reference}/transitions/acknowledge/", {}, format="json")
    message = client.post(f"{CASES}{case.reference}/messages/", {"body": "hi"}, format="json")
    outcome = client.post(
        f"{CASES}{case.reference}/outcome/", {"upheld": "upheld", "findings": "x"}, format="json"
    )

    assert read.status_code == 200
    assert [move.status_code, message.status_code, outcome.status_code] == [403, 403, 403]


def test_the_whole_journey_through_the_api(case, lead, guardian):
    g = client_for(guardian)
    ref = case.reference
    client_for(lead).post(f"{CASES}{ref}/assign/", {"guardian": "gina"}, format="json")

    steps = [
        g.post(f"{CASES}{ref}/transitions/acknowledge/", {}, format="json"),
        g.post(f"{CASES}{ref}/transitions/start_investigation/", {}, format="json"),
        g.post(f"{CASES}{ref}/notes/", {"body": "Spoke to the ward manager"}, format="json"),
        g.post(f"{CASES}{ref}/messages/", {"body": "We changed the rota."}, format="json"),
        g.post(
            f"{CASES}{ref}/transitions/give_feedback/",
            {"message": "We found the rota short; it now has two nurses."},
            format="json",
        ),
        g.post(
            f"{CASES}{ref}/outcome/",
            {"upheld": "upheld", "findings": "The rota was unsafe", "lessons": "Check rotas"},
            format="json",
        ),
        g.post(f"{CASES}{ref}/transitions/close/", {}, format="json"),
    ]

    assert [s.status_code for s in steps] == [200, 200, 201, 201, 200, 200, 200]
    assert steps[-1].json()["status"] == "closed"
    assert steps[-1].json()["outcome"]["upheld"] == "upheld"
    notes = g.get(f"{CASES}{ref}/notes/").json()
    assert [(n["author"], n["body"]) for n in notes] == [("gina", "Spoke to the ward manager")]
    messages = g.get(f"{CASES}{ref}/messages/").json()
    assert [m["kind"] for m in messages] == ["message", "feedback", "speak_up_again"]
    kinds = [e["kind"] for e in g.get(f"{CASES}{ref}/events/").json()]
    assert kinds.count("transition") == 4 and "outcome" in kinds and "note" in kinds
    assert InternalNote.objects.filter(case=case).count() == 1


GUARDIAN_ENDPOINTS = [
    ("get", "{ref}/", None),
    ("get", "{ref}/events/", None),
    ("post", "{ref}/assign/", {"guardian": "gina"}),
    ("post", "{ref}/transitions/acknowledge/", {}),
    ("get", "{ref}/messages/", None),
    ("post", "{ref}/messages/", {"body": "x"}),
    ("get", "{ref}/notes/", None),
    ("post", "{ref}/notes/", {"body": "x"}),
    ("post", "{ref}/outcome/", {"upheld": "upheld", "findings": "x"}),
]


@pytest.mark.parametrize(("method", "path", "body"), GUARDIAN_ENDPOINTS)
@pytest.mark.parametrize(("who", "status"), [(None, 401), ("reporter", 404), ("committee", 404)])
def test_guardian_endpoints_refuse_everyone_else(request, case, method, path, body, who, status):
    # (signed in but not a guardian: the case does not exist for them, as in the contract)
    client = client_for(request.getfixturevalue(who)) if who else APIClient()

    response = getattr(client, method)(CASES + path.format(ref=case.reference), body, "json")

    assert response.status_code == status
    assert "detail" in response.json()
    case.refresh_from_db()
    assert case.status == "received" and case.assigned_guardian_id is None


def test_the_queue_rows_fast_path_matches_the_declared_fields(org, guardian, lead):
    # Given queue rows as the API loads them, assigned and not, overdue and not, raised in
    # winter (GMT) and in summer (BST)
    import datetime as dt

    from rest_framework import serializers

    from api.fastpaths import queue_rows, queue_values
    from api.serializers.cases import CaseRowOut
    from workflow.selectors import QueueFilters

    case_in_state(
        raise_concern(org, categories=("other", "patient-safety")).case,
        "acknowledged",
        guardian=guardian,
    )
    # (an open concern: an anonymous one shows staff its date only, tested below)
    summer = raise_concern(org, route="open", reporter=make_user(Role.REPORTER)).case
    Case.objects.filter(pk=summer.pk).update(raised_at=dt.datetime(2026, 7, 1, 9, tzinfo=dt.UTC))
    rows = queue_rows(queue_values(user=lead, filters=QueueFilters(), offset=0, limit=50))

    # When each is shown by the fast path and by DRF's general field-by-field path
    fast = CaseRowOut(rows, many=True).data
    general = [serializers.Serializer.to_representation(CaseRowOut(), row) for row in rows]

    # Then they are the same
    assert [dict(r) for r in fast] == [dict(r) for r in general]
    assert {r["assigned_guardian"] for r in fast} == {"gina", None}
    assert "2026-07-01T10:00:00+01:00" in {r["raised_at"] for r in fast}


def test_a_guardian_who_left_the_organisation_keeps_only_their_case_in_the_queue(
    org, guardian, lead
):
    # (the scope's "keeps a case elsewhere" comes with the roles, in the same read)
    from workflow.services import handling

    theirs = handling.case_assign(case=raise_concern(org).case, guardian=guardian, actor=lead)
    raise_concern(org)
    client = client_for(guardian)
    assert len(client.get(CASES).json()["results"]) == 2

    guardian.memberships.all().delete()

    rows = client.get(CASES).json()["results"]
    assert [r["reference"] for r in rows] == [theirs.reference]
    assert client.get(f"{CASES}{theirs.reference}/").status_code == 200


def test_queue_rows_list_their_categories_in_the_categories_order(org, guardian):
    from concerns.models import Category

    raise_concern(org, categories=("other", "worker-safety", "patient-safety"))
    raise_concern(org, categories=("bullying-harassment",))

    rows = client_for(guardian).get(CASES).json()["results"]

    order = list(Category.objects.values_list("slug", flat=True))  # position, then name
    expected = [
        [s for s in order if s in {"bullying-harassment"}],
        [s for s in order if s in {"other", "worker-safety", "patient-safety"}],
    ]
    assert [r["categories"] for r in rows] == expected
