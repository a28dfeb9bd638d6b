"""The rules of raising live in the service: a NewConcern is refused or raised the same way
whether it came from the page or the API, and a refusal names the field it is about."""

from __future__ import annotations

import dataclasses

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from concerns.models import Concern, ReferenceCounter
from tests.api.conftest import client_for
from tests.factories import DepartmentFactory, category
from workflow.errors import InvalidInput, NotPermitted
from workflow.models import CaseEvent
from workflow.services import raising


def _new(org, **changes) -> raising.NewConcern:
    given = {
        "categories": [category("patient-safety")],
        "description": "The night rota leaves the ward without a registrar.",
        "route": "confidential",
        "reporter_name": "Rita Reporter",
        "reporter_contact": "rita@example.nhs.uk",
    }
    return raising.NewConcern(organisation=org, **(given | changes))


def test_a_new_concern_is_frozen_and_its_lists_cannot_change_after_the_checks(org):
    chosen = [category("patient-safety")]
    new = raising.NewConcern(organisation=org, categories=chosen, description="x", route="open")
    chosen.append(category("bullying-harassment"))
    assert len(new.categories) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        new.route = "anonymous"  # type: ignore[misc]


@pytest.mark.parametrize("route", ["open", "confidential"])
def test_open_and_confidential_need_a_name_and_a_contact_named_by_field(org, reporter, route):
    # Given a signed-in reporter who left out both
    new = _new(org, route=route)
    new = dataclasses.replace(new, reporter_name="  ", reporter_contact="")
    # When they raise it, Then both fields are named at once and nothing is written
    with pytest.raises(InvalidInput) as refused:
        raising.concern_raise(concern=new, reporter=reporter)
    assert refused.value.problems == {
        "reporter_name": "Enter your name",
        "reporter_contact": "Enter an email address or phone number",
    }
    assert not Concern.objects.exists()
    assert not ReferenceCounter.objects.exists()  # no number was taken either


@pytest.mark.parametrize("nobody", [None, AnonymousUser()])
def test_open_and_confidential_need_someone_signed_in(org, nobody):
    with pytest.raises(NotPermitted, match="Sign in"):
        raising.concern_raise(concern=_new(org), reporter=nobody)
    assert not Concern.objects.exists()


def test_a_department_must_belong_to_the_organisation(org, other_org, reporter):
    elsewhere = DepartmentFactory(organisation=other_org, name="Theatres")
    with pytest.raises(InvalidInput) as refused:
        raising.concern_raise(concern=_new(org, department=elsewhere), reporter=reporter)
    assert list(refused.value.problems) == ["department"]
    assert org.name in refused.value.problems["department"]


def test_anonymous_keeps_no_identity_whatever_was_given(org, reporter):
    # Given an anonymous concern carrying a name, a contact and a wish for email, signed in
    new = dataclasses.replace(_new(org, email_updates=True), route="anonymous")
    # When it is raised
    raised = raising.concern_raise(concern=new, reporter=reporter)
    # Then none of it is kept, and the receipt is the only way back
    concern = Concern.objects.get(pk=raised.concern.pk)
    assert (concern.reporter_id, concern.reporter_name, concern.reporter_contact) == (None, "", "")
    assert concern.email_updates is False and raised.receipt_code
    assert CaseEvent.objects.get(case=raised.case).actor_id is None


def test_raising_links_categories_and_standards_through_the_orm(org, reporter):
    # Given a category whose standards are implied, and one more standard chosen
    patient_safety = category("patient-safety")
    implied = set(patient_safety.standards.values_list("code", flat=True))
    extra = category("education-quality").standards.exclude(code__in=implied).first()
    new = _new(org, standards=[extra])
    # When it is raised
    raised = raising.concern_raise(concern=new, reporter=reporter)
    # Then it carries each once, and the first number of the year
    concern = Concern.objects.get(pk=raised.concern.pk)
    assert set(concern.standards.values_list("code", flat=True)) == implied | {extra.code}
    assert [c.slug for c in concern.categories.all()] == ["patient-safety"]
    assert raised.case.reference.endswith("-00001")


def test_a_raise_costs_a_known_number_of_statements(org, reporter):
    # The counter is one upsert and the links two inserts (workflow.fastpaths; their ORM
    # twins took five statements and ~2 ms more CPU a raise, benchmarks/README.md).
    raising.concern_raise(concern=_new(org), reporter=reporter)  # the year's counter exists
    new = _new(org)
    with CaptureQueriesContext(connection) as queries:
        raising.concern_raise(concern=new, reporter=reporter)
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
    assert len(statements) == 7, statements


# --- the page and the API refuse through the same rule ------------------------------------


def test_the_api_names_the_field_the_service_refused(org, other_org, reporter):
    elsewhere = DepartmentFactory(organisation=other_org, name="Theatres")
    body = {
        "organisation": org.code,
        "categories": ["patient-safety"],
        "description": "A concern.",
        "route": "confidential",
        "department": elsewhere.pk,
    }
    response = client_for(reporter).post("/api/v1/concerns/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["department"]
    assert not Concern.objects.exists()


def test_the_api_defaults_name_and_contact_from_the_account_or_takes_them(org, reporter):
    body = {
        "organisation": org.code,
        "categories": ["patient-safety"],
        "description": "A concern.",
        "route": "confidential",
    }
    client = client_for(reporter)
    defaulted = client.post("/api/v1/concerns/", body, format="json").json()["reference"]
    given = client.post(
        "/api/v1/concerns/",
        {**body, "reporter_name": "R. Reporter", "reporter_contact": "07700 900123"},
        format="json",
    ).json()["reference"]
    first, second = (Concern.objects.get(reference=r) for r in (defaulted, given))
    assert (first.reporter_name, first.reporter_contact) == (
        reporter.get_full_name(),
        reporter.email,
    )
    assert (second.reporter_name, second.reporter_contact) == ("R. Reporter", "07700 900123")


def test_an_account_without_an_email_must_give_a_contact_through_the_api(org, reporter):
    reporter.email = ""
    reporter.save(update_fields=["email"])
    body = {
        "organisation": org.code,
        "categories": ["patient-safety"],
        "description": "A concern.",
        "route": "open",
    }
    response = client_for(reporter).post("/api/v1/concerns/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"reporter_contact": ["Enter an email address or phone number"]}
    assert APIClient().post("/api/v1/concerns/", body, format="json").status_code == 401
