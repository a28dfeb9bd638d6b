"""JSON under /api/v1/reports/: numbers, null + flag for suppressed cells, in the schema."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _table(data, key):
    table = next(t for t in data["tables"] if t["key"] == key)
    return {r["key"]: r["cells"] for r in table["rows"]}


def test_dashboard_json_counts_are_numbers_and_suppressed_cells_null(client, dataset, committee):
    client.force_login(committee)
    data = client.get("/api/v1/reports/dashboard/?period=year&year=2024").json()
    route = _table(data, "route")
    assert route["open"][0] == {
        "value": 10,
        "suppressed": False,
        "withheld": False,
        "display": "10",
        "unit": "",
    }
    assert route["confidential"][0] == {
        "value": None,
        "suppressed": True,
        "withheld": False,
        "display": "*",
        "unit": "",
    }
    # of the disclosed counts: 10 of 20 (issue 13), not 9 of 22
    assert route["anonymous"][1]["value"] == 50 and route["anonymous"][1]["unit"] == "%"
    assert data["disclosure"] == {"suppress_up_to": 7, "round_to": 5}
    assert data["period"]["first_month"] == "2024-04" and data["period"]["last_month"] == "2025-03"
    months = {p["month"]: p for p in data["trend"]["points"]}
    assert months["2024-04"]["count"]["suppressed"] is True
    assert months["2024-05"]["count"]["value"] == 10
    assert data["trend"]["mean"] == 2  # 28 over 13 months, from the disclosed months
    standard = next(s for s in data["standards"] if s["code"] == "1.7")
    assert standard["text"].startswith("All staff, including learners")


def test_dashboard_json_has_exactly_the_documented_shape(client, dataset, committee):
    from api.reports_views import DashboardSerializer

    client.force_login(committee)
    data = client.get("/api/v1/reports/dashboard/?period=year&year=2024").json()
    assert DashboardSerializer(data).data == data


def test_reports_are_in_the_openapi_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/v1/reports/dashboard/" in schema["paths"]
    assert "/api/v1/reports/data-return/" in schema["paths"]
    cell = schema["components"]["schemas"]["Cell"]
    assert cell["properties"]["value"]["nullable"] is True
    assert "suppressed" in cell["properties"]
