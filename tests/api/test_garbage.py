"""Garbage at every write endpoint: a 4xx with a JSON body, never a 500, nothing written."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from concerns.models import Concern
from tests.api.conftest import client_for, receipt_token
from tests.factories import case_in_state, raise_concern
from workflow.models import Case, CaseEvent, InternalNote, Message, Outcome

pytestmark = pytest.mark.django_db

# Bodies that are wrong for any endpoint, sent as raw bytes with a JSON content type.
RAW = {
    "invalid JSON": b'{"body": ',
    "a JSON array": b'["body", "x"]',
    "a JSON string": b'"body"',
    "JSON null": b"null",
    "a number": b"42",
    "NaN": b'{"body": NaN}',
    "not UTF-8": b'{"body": "\xff\xfe"}',
    "nested too deeply": b"[" * 100_000,
    "too large": json.dumps({"body": "x" * (2 * 1024 * 1024)}).encode(),
}
WRONG_VALUES = [123, 1.5, True, None, [], {}, ["x"], {"a": 1}, "\u0000", "\ud800", "x" * 30_000]

# Every write endpoint, the fields it takes, and who may use it.
ENDPOINTS = {
    "token": ("/api/v1/auth/token/", ["username", "password"], "nobody"),
    "session": ("/api/v1/anonymous/sessions/", ["receipt_code"], "nobody"),
    "raise": (
        "/api/v1/concerns/",
        [
            *("organisation", "categories", "description", "route", "standards"),
            *("reporter_role", "professional_group", "raised_elsewhere", "department"),
            "outcome_hoped",
        ],
        "reporter",
    ),
    "reply": ("/api/v1/concerns/{concern}/messages/", ["body"], "reporter"),
    "withdraw": ("/api/v1/concerns/{concern}/withdraw/", ["reason"], "reporter"),
    "feedback": ("/api/v1/concerns/{concern}/feedback/", ["answer", "comment"], "reporter"),
    "assign": ("/api/v1/cases/{case}/assign/", ["guardian", "version"], "lead"),
    "transition": (
        "/api/v1/cases/{case}/transitions/refer/",
        ["note", "version", "referral_destination"],
        "lead",
    ),
    "message": ("/api/v1/cases/{case}/messages/", ["body"], "lead"),
    "note": ("/api/v1/cases/{case}/notes/", ["body"], "lead"),
    "outcome": ("/api/v1/cases/{case}/outcome/", ["upheld", "findings", "actions"], "lead"),
}
VALID = {
    "organisation": "RX1",
    "categories": ["patient-safety"],
    "description": "A real concern.",
    "route": "anonymous",
    "answer": "yes",
    "upheld": "upheld",
    "findings": "x",
    "guardian": "gina",
    "body": "x",
    "referral_destination": "hr",
    "note": "x",
    "username": "gina",
    "password": "x",
    "receipt_code": "AAAA-BBBB-CCCC-DDDD-EEEE",
}


@pytest.fixture
def world(org, reporter, lead, guardian):
    concern = raise_concern(org, route="open", reporter=reporter)
    case = case_in_state(raise_concern(org).case, "acknowledged", guardian=guardian)
    return {
        "concern": concern.case.reference,
        "case": case.reference,
        "clients": {
            "nobody": APIClient(),
            "reporter": client_for(reporter),
            "lead": client_for(lead),
        },
    }


def _snapshot() -> tuple:
    return (
        Concern.objects.count(),
        CaseEvent.objects.count(),
        Message.objects.count(),
        InternalNote.objects.count(),
        Outcome.objects.count(),
        sorted(Case.objects.values_list("status", "assigned_guardian_id", "version")),
    )


def _assert_json_4xx(response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert isinstance(response.json(), dict)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("garbage", list(RAW))
def test_malformed_bodies_are_refused(world, endpoint, garbage):
    path, _, who = ENDPOINTS[endpoint]
    url = path.format(**world)
    before = _snapshot()

    response = world["clients"][who].generic(
        "POST", url, RAW[garbage], content_type="application/json"
    )

    _assert_json_4xx(response)
    if garbage == "too large":
        assert response.status_code == 413
    assert _snapshot() == before


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_wrong_types_in_each_field_are_refused(world, endpoint):
    path, fields, who = ENDPOINTS[endpoint]
    url = path.format(**world)
    client = world["clients"][who]
    before = _snapshot()

    for field in fields:
        for value in WRONG_VALUES:
            body = {**{f: VALID[f] for f in fields if f in VALID}, field: value}
            # json.dumps escapes what the test client could not encode (a lone surrogate).
            response = client.generic(
                "POST", url, json.dumps(body).encode(), content_type="application/json"
            )
            if response.status_code < 400:
                # Some wrong-looking values are acceptable text (e.g. a long note is fine
                # when it is within limits); none may write to another case or crash.
                assert isinstance(value, str), (field, value, response.status_code)
                continue
            _assert_json_4xx(response)
    # Only the endpoint's own successful writes may have happened; no 500 on the way.
    assert _snapshot()[0] >= before[0]


# Messages, notes and replies may carry files, so they take multipart (tests/api/
# test_case_files.py); a urlencoded body is still refused there, as everything else is.
WITH_FILES = {"reply", "message", "note"}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_form_encoded_bodies_get_415(world, endpoint):
    path, _, who = ENDPOINTS[endpoint]

    client = world["clients"][who]
    if endpoint in WITH_FILES:
        response = client.post(
            path.format(**world), "body=x", content_type="application/x-www-form-urlencoded"
        )
    else:
        response = client.post(path.format(**world), {"body": "x"})

    assert response.status_code == 415
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("organisation", "NOPE"),
        ("organisation", ""),
        ("categories", ["no-such-category"]),
        ("categories", []),
        ("categories", "patient-safety"),
        ("standards", ["99.9"]),
        ("route", "secret"),
        ("description", ""),
        ("description", "   "),
        ("description", "x" * 20_001),
        ("department", 99999),
        ("department", "ward"),
        ("reporter_role", "boss"),
        ("professional_group", "astronaut"),
    ],
)
def test_raising_with_unknown_or_invalid_values_names_the_field(org, field, value):
    body = {
        "organisation": "RX1",
        "categories": ["patient-safety"],
        "description": "A concern.",
        "route": "anonymous",
        field: value,
    }

    response = APIClient().post("/api/v1/concerns/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Concern.objects.exists()


def test_raising_with_a_department_of_another_organisation_is_refused(org, other_org):
    department = other_org.departments.create(name="Theatres")
    body = {
        "organisation": "RX1",
        "categories": ["patient-safety"],
        "description": "A concern.",
        "route": "anonymous",
        "department": department.pk,
    }

    response = APIClient().post("/api/v1/concerns/", body, format="json")

    assert response.status_code == 400
    assert "department" in response.json()
    assert not Concern.objects.exists()


def test_an_empty_message_to_the_reporter_is_refused(world):
    response = world["clients"]["lead"].post(
        f"/api/v1/cases/{world['case']}/messages/", {"body": "  "}, format="json"
    )

    assert response.status_code == 400
    assert "body" in response.json()


def test_garbage_in_a_receipt_token_header_is_401_not_500(org):
    for header in ["Token receipt.", "Token receipt.%%%", "Token receipt.a:b:c", "Token a b"]:
        response = APIClient().get("/api/v1/concerns/", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header


def test_a_receipt_holder_sending_garbage_gets_json_errors(org):
    anonymous = raise_concern(org)
    client = client_for(token=receipt_token(anonymous.receipt_code))
    url = "/api/v1/anonymous/concern/messages/"

    response = client.generic("POST", url, b"{", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/%00/",
        "/api/v1/cases/SU%002026/events/",
        "/api/v1/concerns/%00/",
        "/api/v1/concerns/a%2Fb/messages/",
        "/api/v1/cases/SU-2026-00001/transitions/%00/",
    ],
)
def test_odd_references_in_the_path_are_a_json_404(world, path):
    response = world["clients"]["lead"].get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Page not found"}
