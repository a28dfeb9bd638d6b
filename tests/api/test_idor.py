"""IDOR matrix: every role against another organisation's cases and another reporter's
concerns. Not yours looks exactly like not there, and nothing changes."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import client_for, receipt_token
from tests.factories import raise_concern
from workflow.models import Case, CaseEvent

pytestmark = pytest.mark.django_db

CASE_ENDPOINTS = [
    ("get", "/api/v1/cases/{ref}/", None),
    ("get", "/api/v1/cases/{ref}/events/", None),
    ("post", "/api/v1/cases/{ref}/assign/", {"guardian": "{assignee}"}),
    ("post", "/api/v1/cases/{ref}/transitions/acknowledge/", {}),
    ("post", "/api/v1/cases/{ref}/transitions/refer/", {"referral_destination": "hr", "note": "x"}),
    ("get", "/api/v1/cases/{ref}/messages/", None),
    ("post", "/api/v1/cases/{ref}/messages/", {"body": "x"}),
    ("get", "/api/v1/cases/{ref}/notes/", None),
    ("post", "/api/v1/cases/{ref}/notes/", {"body": "x"}),
    ("post", "/api/v1/cases/{ref}/outcome/", {"upheld": "upheld", "findings": "x"}),
]
CONCERN_ENDPOINTS = [
    ("get", "/api/v1/concerns/{ref}/", None),
    ("get", "/api/v1/concerns/{ref}/messages/", None),
    ("post", "/api/v1/concerns/{ref}/messages/", {"body": "x"}),
    ("post", "/api/v1/concerns/{ref}/withdraw/", {}),
    ("post", "/api/v1/concerns/{ref}/feedback/", {"answer": "yes"}),
]


def _call(client, method, template, body, **names):
    url = template.format(**names)
    if body is not None:
        body = {k: v.format(**names) if isinstance(v, str) else v for k, v in body.items()}
    return getattr(client, method)(url, body, format="json")


def _unchanged(case: Case) -> None:
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.status, fresh.assigned_guardian_id, fresh.version) == (
        case.status,
        case.assigned_guardian_id,
        case.version,
    )
    assert CaseEvent.objects.filter(case=case).count() == 1


@pytest.fixture
def cases(org, other_org, reporter, other_reporter):
    """One case in each organisation, each raised openly by a different reporter."""
    return {
        "RX1": raise_concern(org, route="open", reporter=reporter).case,
        "RY2": raise_concern(other_org, route="confidential", reporter=other_reporter).case,
    }


# (fixture, its organisation, the answer on the other organisation's case endpoints)
STAFF = [
    ("guardian", "RX1", 404),
    ("lead", "RX1", 404),
    ("outsider_guardian", "RY2", 404),
    ("other_lead", "RY2", 404),
    ("committee", "RX1", 404),  # not a guardian at all: no case exists for them
    ("reporter", "RX1", 404),
]


@pytest.mark.parametrize(("method", "path", "body"), CASE_ENDPOINTS)
@pytest.mark.parametrize(("who", "home", "status"), STAFF)
def test_staff_cannot_reach_another_organisations_case(
    request, cases, method, path, body, who, home, status
):
    # Given a case in the organisation this person does not serve
    target = cases["RY2" if home == "RX1" else "RX1"]
    assignee = "oscar" if target.organisation.code == "RY2" else "gina"
    request.getfixturevalue("outsider_guardian")
    request.getfixturevalue("guardian")
    client = client_for(request.getfixturevalue(who))

    # When they try every case endpoint on it
    response = _call(client, method, path, body, ref=target.reference, assignee=assignee)

    # Then it does not exist for them, and it is untouched
    assert response.status_code == status
    if status == 404:
        missing = _call(client, method, path, body, ref="SU-2099-99999", assignee=assignee)
        assert (missing.status_code, missing.json()) == (404, response.json())
    _unchanged(target)


@pytest.mark.parametrize(("method", "path", "body"), CASE_ENDPOINTS)
def test_a_receipt_holder_cannot_reach_any_case_endpoint(org, cases, method, path, body):
    anonymous = raise_concern(org)
    client = client_for(token=receipt_token(anonymous.receipt_code))

    missing = _call(client, method, path, body, ref="SU-2099-99999", assignee="gina")
    for target in (anonymous.case, cases["RX1"]):
        response = _call(client, method, path, body, ref=target.reference, assignee="gina")
        # even their own concern's case: a receipt reaches the concern, never the case
        assert (response.status_code, response.json()) == (404, missing.json())
    _unchanged(cases["RX1"])


@pytest.mark.parametrize(("method", "path", "body"), CONCERN_ENDPOINTS)
@pytest.mark.parametrize(
    "who",
    ["other_reporter", "guardian", "lead", "outsider_guardian", "other_lead", "committee"],
)
def test_nobody_but_the_reporter_reaches_a_concern(request, cases, method, path, body, who):
    target = cases["RX1"]  # Rita's
    client = client_for(request.getfixturevalue(who))

    response = _call(client, method, path, body, ref=target.reference)
    missing = _call(client, method, path, body, ref="SU-2099-99999")

    assert response.status_code == 404
    assert response.json() == missing.json()
    _unchanged(target)


@pytest.mark.parametrize(("method", "path", "body"), CONCERN_ENDPOINTS)
def test_a_receipt_holder_cannot_reach_a_signed_in_reporters_concern(
    org, cases, method, path, body
):
    anonymous = raise_concern(org)
    client = client_for(token=receipt_token(anonymous.receipt_code))

    response = _call(client, method, path, body, ref=cases["RX1"].reference)

    assert response.status_code == 404
    _unchanged(cases["RX1"])


@pytest.mark.parametrize(("method", "path", "body"), CONCERN_ENDPOINTS + CASE_ENDPOINTS)
def test_not_signed_in_reaches_nothing(cases, method, path, body):
    response = _call(APIClient(), method, path, body, ref=cases["RX1"].reference, assignee="gina")

    assert response.status_code == 401
    _unchanged(cases["RX1"])
