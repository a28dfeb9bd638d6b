"""What anyone may read: health, the raise form's lists, the schema and the docs."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_health_answers_without_authentication():
    response = APIClient().get("/api/v1/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_organisations_list_codes_and_departments(org, other_org):
    org.departments.create(name="Ward 4")

    response = APIClient().get("/api/v1/organisations/")

    assert response.status_code == 200
    rows = {o["code"]: o for o in response.json()}
    assert set(rows) >= {"RX1", "RY2"}
    assert [d["name"] for d in rows["RX1"]["departments"]] == ["Ward 4"]


def test_categories_list_the_seven_slugs():
    response = APIClient().get("/api/v1/categories/")

    assert response.status_code == 200
    assert {c["slug"] for c in response.json()} == {
        "patient-safety",
        "bullying-harassment",
        "inappropriate-behaviour",
        "worker-safety",
        "education-quality",
        "discrimination",
        "other",
    }


def test_standards_carry_code_domain_and_text():
    response = APIClient().get("/api/v1/standards/")

    assert response.status_code == 200
    by_code = {s["code"]: s for s in response.json()}
    assert len(by_code) == 49
    assert by_code["1.7"]["domain"] == 1
    assert "speak up" in by_code["1.7"]["text"].lower()


def test_schema_is_openapi_3_and_lists_the_contract():
    response = APIClient().get("/api/v1/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/anonymous/sessions/",
        "/api/v1/concerns/",
        "/api/v1/concerns/{reference}/withdraw/",
        "/api/v1/cases/",
        "/api/v1/cases/{reference}/transitions/{name}/",
        "/api/v1/cases/{reference}/outcome/",
    ):
        assert path in paths


def test_docs_page_lists_operations_and_loads_nothing_external():
    response = APIClient().get("/api/v1/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "POST /api/v1/concerns/" in html
    assert "<script" not in html
    assert "http://" not in html.replace("http://testserver", "")
    assert "https://" not in html
    # The site's Content-Security-Policy is not relaxed for the docs.
    assert "script-src 'self'" in response["Content-Security-Policy"]
