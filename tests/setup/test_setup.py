"""Issue 18, item 3: setting up a trust in Speak Up's own pages, for the administrator role."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.test import Client

from accounts.models import SecurityEvent
from concerns.models import Category, Department, Organisation
from concerns.roles import Role
from config import rules
from setup import services
from tests.factories import make_user, raise_concern

pytestmark = pytest.mark.django_db

PAGES = [
    "/setup/",
    "/setup/organisations/add/",
    "/setup/organisations/RX1/",
    "/setup/staff/",
    "/setup/staff/invite/",
    "/setup/categories/",
    "/setup/categories/patient-safety/",
    "/setup/retention/",
]


@pytest.fixture
def admin_user(org):
    return make_user(Role.ADMIN, username="ada", email="ada@example.nhs.uk")


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def events(kind: str) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=kind))


@pytest.mark.parametrize(
    "role", [None, Role.REPORTER, Role.GUARDIAN, Role.LEAD_GUARDIAN, Role.COMMITTEE]
)
def test_only_the_administrator_reaches_the_setup_pages(org, role):
    client = Client()
    if role is not None:
        client.force_login(make_user(role, org, username=f"u-{role}"))
    for page in PAGES:
        response = client.get(page)
        if role is None:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == 403, page
    assert client.post(
        "/setup/organisations/add/", {"name": "X", "code": "XX1", "kind": "trust"}
    ).status_code in (302, 403)
    assert not Organisation.objects.filter(code="XX1").exists()


def test_every_page_answers_the_administrator(admin_client):
    for page in PAGES:
        assert admin_client.get(page).status_code == 200, page


def test_an_administrator_sees_no_case_content(admin_client, org, reporter):
    raise_concern(
        org,
        route="open",
        reporter=reporter,
        description="Secret-description-text about ward 7",
        reporter_name="Rita Reporter-Name",
    )
    for page in PAGES:
        text = admin_client.get(page).content.decode()
        assert "Secret-description-text" not in text
        assert "Reporter-Name" not in text


def test_add_an_organisation_and_its_departments(admin_client, admin_user):
    response = admin_client.post(
        "/setup/organisations/add/", {"name": "East Coast Trust", "code": "rxe9", "kind": "trust"}
    )
    assert response.status_code == 302 and response["Location"] == "/setup/organisations/RXE9/"
    org = Organisation.objects.get(code="RXE9")
    assert org.name == "East Coast Trust"
    admin_client.post("/setup/organisations/RXE9/", {"form": "department", "name": "Ward 7"})
    again = admin_client.post(
        "/setup/organisations/RXE9/", {"form": "department", "name": "ward 7"}
    )
    assert again.status_code == 200 and "already has a department" in again.content.decode()
    department = Department.objects.get(organisation=org)
    admin_client.post(
        f"/setup/organisations/RXE9/departments/{department.pk}/", {"name": "Ward 7 (Maternity)"}
    )
    department.refresh_from_db()
    assert department.name == "Ward 7 (Maternity)"
    details = [e.detail for e in events("config_changed")]
    assert "organisation created: RXE9" in details
    assert "department added: RXE9" in details and "department renamed: RXE9" in details
    assert all(e.actor_id == admin_user.pk for e in events("config_changed"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Dup", "code": "RX1", "kind": "trust"}, "already exists"),
        ({"name": "Bad", "code": "R!<script>", "kind": "trust"}, "Enter the ODS code"),
        ({"name": "", "code": "RZ9", "kind": "trust"}, "This field is required"),
        ({"name": "Bad kind", "code": "RZ9", "kind": "castle"}, "Select a valid choice"),
    ],
)
def test_bad_organisation_input_is_a_form_error(admin_client, data, message):
    response = admin_client.post("/setup/organisations/add/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "<script>" not in response.content.decode()


def _invite(client, **extra):
    data = {
        "email": "New.Guardian@example.nhs.uk",
        "username": "nguardian",
        "role": "guardian",
        "organisations": [Organisation.objects.get(code="RX1").pk],
        **extra,
    }
    return client.post("/setup/staff/invite/", data)


def test_invite_a_guardian_who_sets_a_password_then_must_enrol_mfa(
    admin_client, admin_user, org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(admin_client)
    assert response.status_code == 302
    user = get_user_model().objects.get(username="nguardian")
    assert user.email == "new.guardian@example.nhs.uk" and not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == ["guardian"]
    assert list(user.memberships.values_list("organisation__code", flat=True)) == ["RX1"]
    granted = SecurityEvent.objects.get(kind="role_granted", user_id=user.pk)
    assert granted.detail == "guardian" and granted.actor_id == admin_user.pk
    assert SecurityEvent.objects.filter(kind="invited", user_id=user.pk).exists()
    (message,) = [m for m in mail.outbox if m.to == ["new.guardian@example.nhs.uk"]]
    link = re.search(r"https?://\S+/setup/invitation/\S+/", message.body).group(0)
    path = "/" + link.split("/", 3)[3]
    guest = Client()
    page = guest.get(path)
    assert page.status_code == 200 and "nguardian" in page.content.decode()
    weak = guest.post(path, {"new_password1": "short", "new_password2": "short"})
    assert weak.status_code == 200 and guest.session.get("_auth_user_id") is None
    strong = "a long enough passphrase 7"
    done = guest.post(path, {"new_password1": strong, "new_password2": strong})
    assert done.status_code == 302 and done["Location"] == "/accounts/2fa/enrol/"
    assert guest.get("/cases/")["Location"] == "/accounts/2fa/enrol/"  # MFA first
    # The link works once.
    assert Client().get(path).status_code == 400


def test_an_invitation_link_that_was_tampered_with_is_refused(admin_client):
    _invite(admin_client)
    user = get_user_model().objects.get(username="nguardian")
    link = services.invitation_link(user=user)
    path = "/" + link.split("/", 3)[3]
    assert Client().get(path[:-3] + "xx/").status_code == 400
    assert Client().get("/setup/invitation/!!!/abc/").status_code == 404


def test_an_invitation_needs_organisations_for_a_case_role(admin_client):
    response = _invite(admin_client, organisations=[])
    assert "Choose the organisations" in response.content.decode()
    assert not get_user_model().objects.filter(username="nguardian").exists()


def test_an_address_already_in_use_is_refused(admin_client, guardian):
    response = _invite(admin_client, email=guardian.email.upper())
    assert "already an account with this email" in response.content.decode()


def test_roles_are_shown_in_plain_words(admin_client, guardian, lead):
    text = admin_client.get("/setup/staff/").content.decode()
    assert "Lead guardian" in text and "lead_guardian" not in text
    form = admin_client.get("/setup/staff/invite/").content.decode()
    assert "sees only anonymised figures, never a case" in form


def test_the_administrator_cannot_give_themselves_a_case_role(admin_user):
    from django.contrib.auth.models import Group

    from accounts import context

    token = context.current_actor.set(admin_user)
    try:
        with pytest.raises(PermissionError), transaction.atomic():
            admin_user.groups.add(Group.objects.get(name="lead_guardian"))
    finally:
        context.current_actor.reset(token)
    assert not admin_user.groups.filter(name="lead_guardian").exists()


def test_deactivating_ends_every_session_at_once(admin_client, admin_user, guardian):
    theirs = Client()
    theirs.force_login(guardian)
    assert theirs.get("/cases/").status_code == 200
    page = admin_client.get(f"/setup/staff/{guardian.pk}/deactivate/")
    assert page.status_code == 200
    response = admin_client.post(f"/setup/staff/{guardian.pk}/deactivate/")
    assert response.status_code == 302
    guardian.refresh_from_db()
    assert not guardian.is_active
    assert theirs.get("/cases/").status_code == 302  # signed out
    event = SecurityEvent.objects.filter(kind="account_disabled", user_id=guardian.pk).first()
    assert event is not None and event.actor_id == admin_user.pk


def test_the_administrator_cannot_deactivate_themselves(admin_client, admin_user):
    admin_client.post(f"/setup/staff/{admin_user.pk}/deactivate/")
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_a_concern_keeps_the_wording_it_was_raised_under(admin_client, org):
    before = raise_concern(org).concern
    old_name = Category.objects.get(slug="patient-safety").name
    response = admin_client.post(
        "/setup/categories/patient-safety/",
        {"name": "Safety of patients and learners", "help_text": "Anything that could harm."},
    )
    assert response.status_code == 302
    item = Category.objects.get(slug="patient-safety")
    assert item.name == "Safety of patients and learners"
    after = raise_concern(org).concern
    assert services.category_wording_at(category=item, at=before.raised_at) == old_name
    assert (
        services.category_wording_at(category=item, at=after.raised_at)
        == "Safety of patients and learners"
    )
    page = admin_client.get("/setup/categories/").content.decode()
    assert "Earlier wordings" in page and old_name in page
    assert SecurityEvent.objects.filter(
        kind="config_changed", detail=f"category reworded: patient-safety v{item.version}"
    ).exists()


def test_the_retention_period_set_here_overrides_the_environment(admin_client, settings):
    assert rules.retention() == settings.SPEAKUP_RETENTION
    admin_client.post("/setup/retention/", {"months_after_end": "24"})
    assert rules.retention().months_after_end == 24
    admin_client.post("/setup/retention/", {"keep_for_ever": "on"})
    assert rules.retention().months_after_end is None
    bad = admin_client.post("/setup/retention/", {"months_after_end": "-3"})
    assert bad.status_code == 200 and rules.retention().months_after_end is None
    empty = admin_client.post("/setup/retention/", {})
    assert "Enter a number of months" in empty.content.decode()
    details = [e.detail for e in events("config_changed")]
    assert "retention set: 24 months" in details and "retention set: never" in details


def test_the_django_admin_is_for_superusers_only(org):
    staff_member = make_user(Role.ADMIN, username="ops", is_staff=True, is_superuser=False)
    client = Client()
    client.force_login(staff_member)
    assert client.get("/admin/").status_code == 302  # to the sign-in page, not the admin
    assert "Set up" in client.get("/setup/").content.decode()
    staff_member.is_superuser = True
    staff_member.save()
    assert client.get("/admin/").status_code == 200


def test_the_case_page_shows_the_wording_the_concern_was_raised_under(admin_client, org, guardian):
    raised = raise_concern(org)
    old_name = Category.objects.get(slug="patient-safety").name
    admin_client.post("/setup/categories/patient-safety/", {"name": "Renamed safety category"})
    client = Client()
    client.force_login(guardian)
    page = client.get(f"/cases/{raised.concern.reference}/").content.decode()
    assert old_name in page
    assert "<li>Renamed safety category</li>" not in page


def test_guardian_contact_details_set_in_setup_reach_reporters(admin_client, org, reporter):
    # given an administrator who gives the organisation's guardian contact details
    contact = "Email ftsu@rx1.example.nhs.uk or call 0113 000 0000 (weekdays 9 to 5)"
    response = admin_client.post(
        f"/setup/organisations/{org.code}/",
        {
            "form": "organisation",
            "name": org.name,
            "code": org.code,
            "kind": org.kind,
            "guardian_contact": contact,
        },
    )
    assert response.status_code == 302
    # then a reporter's own concern page shows them
    from django.test import Client

    from tests.factories import raise_concern

    case = raise_concern(org, route="open", reporter=reporter).case
    page = Client()
    page.force_login(reporter)
    body = page.get(f"/my-concerns/{case.reference}/").content.decode()
    assert "ftsu@rx1.example.nhs.uk" in body
