"""The lead guardian's quarterly data return: exact counts, fields from a versioned schema."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from reports.models import ReturnSchema

pytestmark = pytest.mark.django_db


def _rows(response):
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_quarterly_return_has_exact_counts(client, dataset, lead):
    # Given the fixed data set, when the lead guardian of A downloads 2024/25 Q1
    client.force_login(lead)
    response = client.get("/reports/data-return.csv?quarter=2024-Q1")
    assert response.status_code == 200
    assert "ftsu-return-RX1-2024-Q1-NGO-2023.1.csv" in response["Content-Disposition"]
    rows = {r["field"]: r for r in _rows(response)}
    # then every count is exact, not rounded or suppressed (it is their own return)
    counts = {k: int(r["count"]) for k, r in rows.items()}
    assert counts["cases_raised"] == 22
    assert counts["raised_anonymously"] == 9
    assert counts["patient_safety_quality"] == 10
    assert counts["bullying_harassment"] == 9
    assert counts["inappropriate_behaviours"] == 0
    assert counts["worker_safety_wellbeing"] == 9
    assert counts["detriment"] == 2
    assert counts["group_medical"] == 10
    assert counts["group_dental"] == 3
    assert counts["group_nursing_midwifery"] == 9
    assert counts["feedback_responses"] == 10
    assert counts["speak_up_again_yes"] == 10
    assert counts["speak_up_again_no"] == 0
    assert rows["cases_raised"]["schema_version"] == "NGO-2023.1"
    assert rows["cases_raised"]["organisation_code"] == "RX1"
    assert list(rows) == [f["key"] for f in ReturnSchema.objects.get().fields]


def test_a_new_schema_version_is_data_not_code(client, dataset, lead):
    # Given NHS England publish a new field list from 2025
    ReturnSchema.objects.create(
        version="NHSE-2025.1",
        authority="NHS England",
        title="Speaking up quarterly return",
        effective_from=dt.date(2025, 4, 1),
        fields=[
            {"key": "total", "label": "Cases", "measure": "total:"},
            {"key": "anon", "label": "Anonymous", "measure": "route:anonymous"},
        ],
    )
    client.force_login(lead)
    # when a quarter after it is downloaded, the new version applies
    rows = _rows(client.get("/reports/data-return.csv?quarter=2025-Q1"))
    assert [(r["schema_version"], r["field"]) for r in rows] == [
        ("NHSE-2025.1", "total"),
        ("NHSE-2025.1", "anon"),
    ]
    # and earlier quarters keep the version in force then, or ask for one explicitly
    assert _rows(client.get("/reports/data-return.csv?quarter=2024-Q1"))[0]["schema_version"] == (
        "NGO-2023.1"
    )
    rows = _rows(client.get("/reports/data-return.csv?quarter=2024-Q1&version=NHSE-2025.1"))
    assert {r["field"]: int(r["count"]) for r in rows} == {"total": 22, "anon": 9}
    assert client.get("/reports/data-return.csv?quarter=2024-Q1&version=nope").status_code == 404


def test_the_schema_is_loaded_from_data():
    schema = ReturnSchema.objects.get(version="NGO-2023.1")
    assert schema.authority == "National Guardian's Office"
    assert {f["key"] for f in schema.fields} >= {
        "cases_raised",
        "raised_anonymously",
        "detriment",
        "feedback_responses",
    }


def test_data_return_json_for_lead(client, dataset, lead):
    client.force_login(lead)
    data = client.get("/api/v1/reports/data-return/?quarter=2024-Q1").json()
    fields = {f["key"]: f["count"] for f in data["fields"]}
    assert fields["cases_raised"] == 22 and fields["group_dental"] == 3


def test_data_return_page_offers_own_organisations(client, dataset, lead):
    client.force_login(lead)
    page = client.get("/reports/data-return/").content.decode()
    assert dataset.org.name in page and dataset.other_org.name not in page


def test_bad_quarter_is_a_400(client, dataset, lead):
    client.force_login(lead)
    assert client.get("/reports/data-return.csv?quarter=2024-Q5").status_code == 400
    assert client.get("/api/v1/reports/data-return/?quarter=x").status_code == 400
