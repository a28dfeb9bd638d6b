"""Administrators manage configuration through the admin site, never case content."""

import pytest
from django.contrib import admin

from concerns.models import Category
from concerns.roles import Role
from tests.factories import make_user, raise_concern


@pytest.fixture
def admin_client(client, db):
    user = make_user(Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_editing_a_category_makes_a_new_version(admin_client):
    # Given a category at version 1
    category = Category.objects.get(slug="bullying-harassment")
    standards = list(category.standards.values_list("pk", flat=True))
    # When an administrator changes its help text
    response = admin_client.post(
        f"/admin/concerns/category/{category.pk}/change/",
        {
            "slug": category.slug,
            "name": category.name,
            "help_text": "Being bullied, harassed or intimidated.",
            "standards": standards,
            "position": category.position,
            "is_active": "on",
        },
    )
    # Then it is saved as version 2 with the same standards
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.version == 2
    assert category.help_text == "Being bullied, harassed or intimidated."
    assert sorted(category.standards.values_list("pk", flat=True)) == sorted(standards)


def test_categories_cannot_be_deleted_only_retired(admin_client):
    category = Category.objects.get(slug="other")
    response = admin_client.post(f"/admin/concerns/category/{category.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Category.objects.filter(pk=category.pk).exists()


def test_no_case_content_is_registered_with_the_admin_site():
    registered = {model._meta.label for model in admin.site._registry}
    content = {
        "concerns.Concern",
        "concerns.Attachment",
        "workflow.Case",
        "workflow.CaseEvent",
        "workflow.Message",
        "workflow.InternalNote",
        "workflow.Outcome",
        "workflow.Detriment",
        "workflow.SpeakUpAgainResponse",
    }
    assert registered & content == set()


def test_administrators_see_organisations_but_no_concern_text(admin_client, org):
    raise_concern(org, description="Marker text that only guardians may read")
    page = admin_client.get("/admin/concerns/organisation/").content.decode()
    assert org.name in page
    assert "Marker text" not in admin_client.get("/admin/").content.decode()
    assert admin_client.get("/admin/concerns/concern/").status_code == 404


def test_a_guardian_cannot_use_the_admin_site(client, guardian):
    client.force_login(guardian)
    response = client.get("/admin/concerns/category/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
