"""Writes about organisations, users, categories — and raising a concern, which opens its case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from concerns import services as concern_services
from concerns.models import Attachment, Category, Concern, Membership, Organisation
from concerns.roles import Role, roles_of
from tests.factories import DepartmentFactory, OrganisationFactory, category, raise_concern
from workflow.errors import InvalidInput, NotPermitted
from workflow.models import Case, CaseEvent, DueKind, Status
from workflow.services import raising

# --- organisations and users ------------------------------------------------------------------


def test_an_organisation_is_created_then_renamed_by_its_code(db):
    first = concern_services.organisation_create(code=" rx7 ", name="  Old Name ")
    again = concern_services.organisation_create(code="RX7", name="New Name", kind="gp_practice")
    assert first.pk == again.pk
    assert (again.code, again.name, again.kind) == ("RX7", "New Name", "gp_practice")


def test_a_user_gets_exactly_one_role_and_their_organisations(db):
    org = OrganisationFactory()
    user = concern_services.user_create(
        username="gwen", password="a long pass phrase", role=Role.GUARDIAN, organisations=[org]
    )
    assert roles_of(user) == {"guardian"}
    assert list(Membership.objects.filter(user=user).values_list("organisation", flat=True)) == [
        org.pk
    ]
    assert authenticate(username="gwen", password="a long pass phrase") == user
    again = concern_services.user_create(
        username="gwen", password="another pass phrase", role=Role.LEAD_GUARDIAN
    )
    assert again.pk == user.pk
    assert set(again.groups.values_list("name", flat=True)) == {"lead_guardian"}


def test_an_administrator_is_staff_and_superuser_others_are_not(db):
    admin = concern_services.user_create(username="ada", password="x" * 12, role=Role.ADMIN)
    committee = concern_services.user_create(username="cy", password="x" * 12, role="committee")
    assert admin.is_staff and admin.is_superuser
    assert not committee.is_staff and not committee.is_superuser


def test_an_unknown_role_is_refused(db):
    with pytest.raises(ValueError):
        concern_services.user_create(username="x", password="x" * 12, role="overlord")


def test_a_shared_password_hash_can_be_given(db):
    hashed = make_password("shared secret")
    user = concern_services.user_create(
        username="u", password="ignored", password_hash=hashed, role=Role.REPORTER
    )
    assert user.check_password("shared secret")


def test_editing_a_category_bumps_its_version(db):
    patient_safety = category("patient-safety")
    before = patient_safety.version
    updated = concern_services.category_update(
        category=patient_safety, name="Patient safety", help_text="Care", standards=[]
    )
    assert updated.version == before + 1
    assert not updated.standards.exists()


# --- raising a concern --------------------------------------------------------------------


def test_raising_opens_a_received_case_with_a_reference(org, reporter):
    raised = raise_concern(org, route="open", reporter=reporter, reporter_name="Rita")
    year = timezone.now().year
    assert raised.concern.reference == raised.case.reference
    assert raised.concern.reference.startswith(f"SU-{year}-")
    assert len(raised.concern.reference) == len("SU-2026-00001")
    case = Case.objects.get(pk=raised.case.pk)
    assert case.status == Status.RECEIVED
    assert case.due_kind == DueKind.ACKNOWLEDGE
    assert case.due_at > case.raised_at
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_references_count_up(org, reporter):
    refs = [raise_concern(org, route="open", reporter=reporter).concern.reference for _ in "abc"]
    numbers = [int(r.rsplit("-", 1)[1]) for r in refs]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]


def test_categories_bring_their_standards(org, reporter):
    raised = raise_concern(
        org, route="open", reporter=reporter, categories=("bullying-harassment",)
    )
    codes = set(raised.concern.standards.values_list("code", flat=True))
    assert {"1.3", "1.7"} <= codes


def test_a_concern_carries_each_implied_and_chosen_standard_once(org, reporter):
    from concerns.models import Category, QualityStandard

    slugs = ("bullying-harassment", "inappropriate-behaviour", "patient-safety")
    implied = set(
        Category.standards.through.objects.filter(category__slug__in=slugs).values_list(
            "qualitystandard__code", flat=True
        )
    )
    chosen = [QualityStandard.objects.get(code="1.7"), QualityStandard.objects.get(code="5.1")]
    raised = raise_concern(org, route="open", reporter=reporter, categories=slugs, standards=chosen)
    codes = list(raised.concern.standards.values_list("code", flat=True))
    assert sorted(codes) == sorted(implied | {"1.7", "5.1"})
    assert "1.7" in implied  # chosen and implied alike, yet linked once


def test_an_anonymous_concern_keeps_nothing_that_identifies(org, reporter):
    raised = raise_concern(
        org,
        reporter=reporter,
        reporter_name="Rita",
        reporter_contact="rita@example.com",
        email_updates=True,
    )
    concern = Concern.objects.get(pk=raised.concern.pk)
    assert concern.reporter_id is None
    assert (concern.reporter_name, concern.reporter_contact, concern.email_updates) == (
        "",
        "",
        False,
    )
    assert raised.receipt_code and concern.receipt_hash
    assert CaseEvent.objects.get(case=raised.case).actor_id is None


@pytest.mark.parametrize("route", ["open", "confidential"])
def test_open_and_confidential_concerns_need_a_signed_in_reporter(org, route):
    with pytest.raises(NotPermitted):
        raise_concern(org, route=route, reporter=None)
    assert not Concern.objects.exists()


def test_attachments_are_stored_encrypted(org, reporter):
    raised = raise_concern(
        org,
        route="open",
        reporter=reporter,
        attachments=[raising.NewAttachment("rota.pdf", "application/pdf", b"%PDF-1.7")],
    )
    attachment = Attachment.objects.get(concern=raised.concern)
    assert (attachment.filename, bytes(attachment.data), attachment.size) == (
        "rota.pdf",
        b"%PDF-1.7",
        8,
    )


BAD_INPUT = {
    "unknown route": {"route": "secret"},
    "unknown role": {"reporter_role": "boss"},
    "unknown professional group": {"professional_group": "wizard"},
    "unknown raised elsewhere": {"raised_elsewhere": "maybe"},
    "blank description": {"description": "   "},
    "no categories": {"categories": ()},
    "executable attachment": {
        "attachments": [raising.NewAttachment("x.exe", "application/x-msdownload", b"MZ")]
    },
    "oversized attachment": {
        "attachments": [
            raising.NewAttachment("big.pdf", "application/pdf", b"0" * (10 * 1024 * 1024 + 1))
        ]
    },
    "too many attachments": {
        "attachments": [
            raising.NewAttachment(f"{i}.pdf", "application/pdf", b"%") for i in "123456"
        ]
    },
}


@pytest.mark.parametrize("problem", list(BAD_INPUT))
def test_bad_input_is_refused_and_nothing_is_written(org, problem):
    with pytest.raises(InvalidInput):
        raise_concern(org, **BAD_INPUT[problem])
    assert not Concern.objects.exists()
    assert not Case.objects.exists()


def test_a_department_of_another_organisation_is_refused(org, other_org):
    with pytest.raises(InvalidInput):
        raise_concern(org, department=DepartmentFactory(organisation=other_org))
    assert not Concern.objects.exists()


def test_an_inactive_organisation_cannot_receive_concerns(db):
    closed = OrganisationFactory(is_active=False)
    with pytest.raises(InvalidInput):
        raise_concern(closed)


def test_a_concern_is_raised_at_now(org):
    before = timezone.now()
    raised = raise_concern(org)
    assert before <= raised.concern.raised_at <= timezone.now() + dt.timedelta(seconds=1)
    assert Organisation.objects.count() >= 1
    assert Category.objects.count() == 7
