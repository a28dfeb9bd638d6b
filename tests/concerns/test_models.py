"""The domain model's own guarantees: constraints, reference data, append-only events."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from concerns.models import Category, Concern, Department, QualityDomain, QualityStandard
from tests.factories import DepartmentFactory, OrganisationFactory, raise_concern
from workflow.models import Case, Status


def test_the_quality_framework_is_loaded(db):
    assert QualityDomain.objects.count() == 6
    assert QualityStandard.objects.count() == 49
    speak_up = QualityStandard.objects.get(code="1.7")
    assert "speak up" in speak_up.text.lower()


def test_the_seven_categories_are_loaded_and_mapped_to_standards(db):
    assert set(Category.objects.values_list("slug", flat=True)) == {
        "patient-safety",
        "bullying-harassment",
        "inappropriate-behaviour",
        "worker-safety",
        "education-quality",
        "discrimination",
        "other",
    }
    bullying = Category.objects.get(slug="bullying-harassment")
    assert {"1.3", "1.7"} <= set(bullying.standards.values_list("code", flat=True))
    education = Category.objects.get(slug="education-quality")
    domain_5 = set(QualityStandard.objects.filter(domain__number=5).values_list("pk", flat=True))
    assert domain_5 <= set(education.standards.values_list("pk", flat=True))


def test_a_department_name_is_unique_within_its_organisation(db):
    ward = DepartmentFactory(name="Ward 1")
    DepartmentFactory(name="Ward 1")  # another organisation: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        Department.objects.create(organisation=ward.organisation, name="Ward 1")


def test_an_anonymous_concern_can_hold_no_reporter(org, reporter):
    concern = raise_concern(org).concern
    with pytest.raises(IntegrityError), transaction.atomic():
        Concern.objects.filter(pk=concern.pk).update(reporter=reporter)


def test_an_anonymous_concern_must_have_a_receipt_hash(org):
    concern = raise_concern(org).concern
    with pytest.raises(IntegrityError), transaction.atomic():
        Concern.objects.filter(pk=concern.pk).update(receipt_hash=None)


def test_the_status_cannot_be_set_directly(org):
    case = raise_concern(org).case
    with pytest.raises(AttributeError):
        case.status = Status.CLOSED
    assert Case.objects.get(pk=case.pk).status == Status.RECEIVED


def test_one_case_per_concern(org):
    raised = raise_concern(org)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(
            concern=raised.concern,
            reference="SU-2000-00001",
            organisation=org,
            route=raised.concern.route,
            raised_at=raised.concern.raised_at,
            last_activity_at=raised.concern.raised_at,
            acknowledge_due_at=raised.concern.raised_at,
        )


def test_organisation_reads_with_its_code(db):
    assert str(OrganisationFactory(code="RX9", name="West Trust")) == "West Trust (RX9)"
