"""The dashboard page, its charts, and the CSV / XLSX exports of every table shown."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from reports.disclosure import NOT_APPLICABLE

pytestmark = pytest.mark.django_db

FY = "period=year&year=2024"


def test_dashboard_page_has_accessible_charts_and_tables(client, dataset, committee):
    client.force_login(committee)
    response = client.get(f"/reports/?{FY}")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Financial year 2024/25" in page
    assert page.count('role="img"') >= 8
    assert "<title" in page and "<desc" in page and "aria-labelledby" in page
    assert "A concern can have several categories" in page
    assert "All staff, including learners, are able to speak up" in page  # standard 1.7
    assert "Educational governance arrangements enable" in page  # 2.6
    assert "9.3%" in page  # beside the nation
    assert 'id="table-route"' in page and 'id="table-trend"' in page
    assert "css/reports.css" in page


def test_csv_export_matches_the_table_shown(client, dataset, committee):
    client.force_login(committee)
    response = client.get(f"/reports/export/route.csv?{FY}")
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Concerns by route"]
    assert rows[2] == ["Route", "Concerns", "% of concerns"]
    assert rows[3:7] == [
        ["Open", "10", "50%"],  # percentages of the disclosed counts (issue 13)
        ["Confidential", "*", "*"],
        ["Anonymous", "10", "50%"],
        ["Total", "20", NOT_APPLICABLE],
    ]


def test_xlsx_has_a_sheet_for_every_table_with_the_same_figures(client, dataset, committee):
    client.force_login(committee)
    response = client.get(f"/reports/export.xlsx?{FY}")
    book = load_workbook(io.BytesIO(response.content))
    assert {
        "trend",
        "category",
        "route",
        "role",
        "group",
        "organisation",
        "department",
        "standard",
        "response",
        "outcome",
        "referral",
        "speak_up_again",
        "status",
        "national",
        "standards_evidence",
        "standards_tagged",
    } <= set(book.sheetnames)
    rows = list(book["route"].iter_rows(values_only=True))
    # numbers are numbers (issue 17), a percentage a fraction shown as one; "*" stays text
    assert rows[3][:3] == ("Open", 10, 0.5)
    assert rows[4][:3] == ("Confidential", "*", "*")
    assert book["route"].cell(row=4, column=3).number_format == "0%"


def test_every_table_on_the_page_can_be_exported(client, dataset, committee):
    client.force_login(committee)
    page = client.get(f"/reports/?{FY}").content.decode()
    import re

    keys = re.findall(r'id="table-([a-z_]+)"', page)
    assert len(keys) >= 15
    for key in keys:
        assert client.get(f"/reports/export/{key}.csv?{FY}").status_code == 200, key


def test_lead_guardian_sees_the_dashboard(client, dataset, lead):
    client.force_login(lead)
    assert client.get(f"/reports/?{FY}").status_code == 200
