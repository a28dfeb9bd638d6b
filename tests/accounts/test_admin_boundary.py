"""Item 6: the administrator's boundary. No route shows an administrator a token, a
session, an MFA secret, case content or a reporter's identity; an administrator cannot give
their own account a role; every grant or removal is in the append-only security log and
told to the organisation's lead guardians, without content."""

from __future__ import annotations

import contextlib
import re

import pytest
from django.contrib import admin
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse

from accounts.models import AppendOnlyError, SecurityEvent
from accounts.services import token_issue
from concerns.models import Membership
from concerns.roles import Role
from tests.factories import TOTP_SECRET, make_user, raise_concern

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Marker-description-only-guardians-read"
SECRET_NAME = "Marker-Reporter-Name"


@pytest.fixture
def ada(db):
    return make_user(Role.ADMIN, username="ada", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(ada):
    client = Client()
    client.force_login(ada)
    return client


@pytest.fixture
def world(org, guardian, lead, reporter):
    raised = raise_concern(
        org,
        route="confidential",
        reporter=reporter,
        description=SECRET_TEXT,
        reporter_name=SECRET_NAME,
        reporter_contact="marker-contact@example.org",
    )
    _, token = token_issue(user=guardian)
    guardian_browser = Client()
    guardian_browser.force_login(guardian)
    return {
        "case": raised.case,
        "token": token,
        "digest": __import__("knox.crypto", fromlist=["x"]).hash_token(token),
        "session": guardian_browser.cookies["sessionid"].value,
    }


def admin_urls() -> list[str]:
    """Every admin page for every registered model: list, add, and each object's change,
    history and delete pages, plus the index and app lists."""
    urls = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        urls.append(f"/admin/{meta.app_label}/")
        base = f"admin:{meta.app_label}_{meta.model_name}"
        urls.append(reverse(f"{base}_changelist"))
        with contextlib.suppress(NoReverseMatch):
            urls.append(reverse(f"{base}_add"))
        for obj in model_admin.get_queryset(_Request()).all()[:20]:
            for page in ("change", "history", "delete"):
                urls.append(reverse(f"{base}_{page}", args=[obj.pk]))
    return urls


class _Request:
    """Enough of a request for a ModelAdmin's queryset."""

    class user:
        is_superuser = True
        is_active = True
        is_staff = True

        @staticmethod
        def has_perm(*args):
            return True


def test_no_admin_page_shows_a_token_a_session_a_secret_or_case_content(admin_client, world):
    forbidden = [
        world["token"],
        world["digest"][:16],
        world["session"],
        TOTP_SECRET,
        SECRET_TEXT,
        SECRET_NAME,
        "marker-contact@example.org",
        world["case"].reference,
    ]
    urls = admin_urls()
    assert len(urls) > 20
    for url in urls:
        response = admin_client.get(url)
        assert response.status_code in {200, 302, 403, 404}, url
        text = response.content.decode()
        for marker in forbidden:
            assert marker not in text, (url, marker)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/knox/authtoken/",
        "/admin/authtoken/tokenproxy/",
        "/admin/sessions/session/",
        "/admin/mfa/authenticator/",
        "/admin/account/emailconfirmation/",
        "/admin/accounts/signedinsession/",
        "/admin/concerns/concern/",
        "/admin/concerns/reporteridentity/",
        "/admin/workflow/case/",
        "/admin/auth/group/",
    ],
)
def test_tokens_sessions_secrets_and_cases_are_not_on_the_admin_site(admin_client, path):
    assert admin_client.get(path).status_code == 404


def test_the_admin_cannot_set_a_password_on_the_admin_site(admin_client, guardian):
    assert admin_client.get(f"/admin/auth/user/{guardian.pk}/password/").status_code in {
        302,
        404,
    }
    page = admin_client.get(f"/admin/auth/user/{guardian.pk}/change/").content.decode()
    assert "pbkdf2" not in page and "md5$" not in page and guardian.password not in page


def test_an_administrator_reaches_no_case_by_any_url(admin_client, world):
    ref = world["case"].reference
    pages = [
        "/cases/",
        f"/cases/{ref}/",
        f"/cases/{ref}/events/",
        "/cases/workload/",
        f"/my-concerns/{ref}/",
    ]
    for path in pages:
        response = admin_client.get(path)
        assert response.status_code in {302, 403, 404}, path
        assert SECRET_TEXT not in response.content.decode()


def test_an_administrator_token_reaches_no_case(ada, world):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=ada)[1]}")
    ref = world["case"].reference
    for path in ["/api/v1/cases/", f"/api/v1/cases/{ref}/", f"/api/v1/concerns/{ref}/"]:
        response = client.get(path)
        assert response.status_code in {200, 403, 404}, path
        assert SECRET_TEXT not in response.content.decode()
        if path == "/api/v1/cases/" and response.status_code == 200:
            assert response.json()["results"] == []


def _change(client, user, groups, **extra):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [g.pk for g in groups],
        **extra,
    }
    return client.post(f"/admin/auth/user/{user.pk}/change/", data)


def _group(name):
    from django.contrib.auth.models import Group

    return Group.objects.get_or_create(name=name)[0]


@pytest.mark.parametrize("role", ["lead_guardian", "guardian", "committee"])
def test_an_administrator_cannot_give_themselves_a_case_role(admin_client, ada, world, role):
    response = _change(admin_client, ada, [*ada.groups.all(), _group(role)])

    assert response.status_code == 200
    assert "You cannot change your own roles" in response.content.decode()
    assert not ada.groups.filter(name=role).exists()
    assert SecurityEvent.objects.filter(username="ada", kind="role_refused").exists()
    assert admin_client.get(f"/cases/{world['case'].reference}/").status_code in {302, 404}


def test_an_administrator_cannot_join_an_organisation_themselves(admin_client, ada, org):
    response = admin_client.post(
        "/admin/concerns/membership/add/", {"user": ada.pk, "organisation": org.pk}
    )
    assert response.status_code == 200
    assert "You cannot change your own organisations" in response.content.decode()
    assert not Membership.objects.filter(user=ada).exists()


def test_roles_cannot_be_self_granted_below_the_admin_site_either(ada, rf):
    from django.db import transaction

    from accounts import context

    group = _group("lead_guardian")
    token = context.current_actor.set(ada)
    try:
        with pytest.raises(PermissionError), transaction.atomic():
            ada.groups.add(group)
    finally:
        context.current_actor.reset(token)
    assert not ada.groups.filter(name="lead_guardian").exists()


def test_a_grant_and_a_removal_are_logged_and_told_to_lead_guardians(
    admin_client, ada, org, lead, django_capture_on_commit_callbacks
):
    # Given a guardian of the organisation, and its lead guardian with an e-mail address
    guardian = make_user(Role.GUARDIAN, org, username="gwen")
    mail.outbox.clear()

    # When the administrator makes them a lead guardian, then takes it away again
    with django_capture_on_commit_callbacks(execute=True):
        granted = _change(admin_client, guardian, [_group("guardian"), _group("lead_guardian")])
    with django_capture_on_commit_callbacks(execute=True):
        removed = _change(admin_client, guardian, [_group("guardian")])

    # Then both are in the security log with who did them
    assert granted.status_code == removed.status_code == 302
    events = SecurityEvent.objects.filter(
        username="gwen", kind__in=["role_granted", "role_removed"], actor_username="ada"
    )
    assert [(e.kind, e.detail, e.actor_username) for e in events.order_by("id")] == [
        ("role_granted", "lead_guardian", "ada"),
        ("role_removed", "lead_guardian", "ada"),
    ]
    # and the lead guardian was told each time, without any case content
    told = [m for m in mail.outbox if lead.email in m.to]
    assert len(told) == 2
    for message in told:
        assert "gwen" in message.body and "lead_guardian" in message.body
        assert "SU-" not in message.body and "concern" not in message.body.lower()


def test_the_security_log_is_append_only(guardian):
    event = SecurityEvent.objects.filter(
        user_id=guardian.pk
    ).first() or SecurityEvent.objects.create(kind="sign_in", user_id=guardian.pk, username="gina")
    event.detail = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.all().update(detail="x")
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_to_change_the_security_log(guardian):
    from django.db import DatabaseError, transaction

    event = SecurityEvent.objects.create(kind="sign_in", user_id=guardian.pk, username="gina")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_securityevent SET detail = 'forged' WHERE id = %s", [event.pk]
        )
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_securityevent WHERE id = %s", [event.pk])
    assert SecurityEvent.objects.get(pk=event.pk).detail == ""


def test_the_security_log_is_read_only_on_the_admin_site(admin_client, guardian):
    event = SecurityEvent.objects.create(kind="sign_in", user_id=guardian.pk, username="gina")
    assert admin_client.get("/admin/accounts/securityevent/").status_code == 200
    assert admin_client.get("/admin/accounts/securityevent/add/").status_code == 403
    page = admin_client.get(f"/admin/accounts/securityevent/{event.pk}/change/")
    assert page.status_code == 200 and not re.search(
        r'<input[^>]+name="detail"', page.content.decode()
    )
    assert (
        admin_client.post(
            f"/admin/accounts/securityevent/{event.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
