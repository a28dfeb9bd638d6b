"""schemathesis against the live schema, every operation, as every role.

The schema is loaded from the running Django app (WSGI, in process, on the test database)
and each operation is fuzzed with a handful of generated requests, each sent as every role:
nobody, a reporter, an anonymous reporter's receipt session, a guardian, a lead guardian and
a committee member. Path references are sometimes swapped for real ones (own organisation,
other organisation, own concern, someone else's) so that the fuzzing reaches real objects,
not only 404s. Every answer must be a non-500 that matches the schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from concerns.roles import Role
from config.wsgi import application
from tests.factories import case_in_state, make_user, raise_concern

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 4


@pytest.fixture
def in_process_wsgi():
    # The app runs inside this test's transaction: do not let Django recycle the connection
    # at each request (the test client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(org, other_org, guardian, lead, reporter, committee, outsider_guardian):
    own = case_in_state(
        raise_concern(org, route="open", reporter=reporter).case, "acknowledged", guardian=guardian
    )
    other = raise_concern(other_org).case
    anonymous = raise_concern(org)
    from accounts.services import token_issue
    from tests.api.conftest import receipt_token

    stranger = make_user(Role.REPORTER, username="stella")
    theirs = raise_concern(org, route="confidential", reporter=stranger).case
    headers = {"nobody": {}}
    for name, user in {
        "reporter": reporter,
        "guardian": guardian,
        "lead": lead,
        "committee": committee,
    }.items():
        headers[name] = {"Authorization": f"Token {token_issue(user=user)[1]}"}
    headers["receipt"] = {"Authorization": f"Token {receipt_token(anonymous.receipt_code)}"}
    refs = [own.reference, other.reference, anonymous.case.reference, theirs.reference]
    return headers, refs


def test_every_operation_as_every_role_conforms_and_never_500s(world, in_process_wsgi):
    headers, refs = world
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:
        try:
            _fuzz(operation, headers, refs)
        except Exception as exc:
            exc.add_note(f"operation {operation.label}")
            raise


def _fuzz(operation, headers: dict[str, dict[str, str]], refs: list[str]) -> None:
    """Each generated request is sent once as every role (generation is the slow part)."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), real=st.sampled_from([None, *refs]))
    def run(case, real):
        if real is not None and "reference" in (case.path_parameters or {}):
            case.path_parameters["reference"] = real
        for role, role_headers in headers.items():
            response = case.call(headers=role_headers)
            try:
                case.validate_response(response, checks=CHECKS, headers=role_headers)
            except Exception as exc:
                exc.add_note(f"as {role}")
                raise

    run()
