"""The dashboard page, its charts, and the CSV / XLSX exports of every table shown."""

from __future__ import annotations

import csv
import io
import re

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


def test_xlsx_figures_are_numbers_in_every_sheet_and_withheld_cells_stay_text(
    client, dataset, committee
):
    """Issue 17: a committee member sums a column in Excel. Every figure in every sheet is a
    number cell; '*' (1 to 7) and 'x' stay text, and no number is stored as text."""
    client.force_login(committee)
    book = load_workbook(io.BytesIO(client.get(f"/reports/export.xlsx?{FY}").content))
    numbers_as_text, numbers, withheld = [], 0, 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_col=2):  # column A holds labels ("1.7" is a standard)
            for cell in row:
                value = cell.value
                if isinstance(value, bool) or value is None:
                    continue
                if isinstance(value, int | float):
                    numbers += 1
                elif value in {"*", "x"}:
                    withheld += 1
                elif re.fullmatch(r"-?[\d,]+(\.\d+)?%?", value.strip()):
                    numbers_as_text.append(f"{sheet.title}!{cell.coordinate}={value!r}")
    assert not numbers_as_text, numbers_as_text
    assert numbers > 20 and withheld > 0, (numbers, withheld)


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
