"""Who may see reports, and that committee members reach no case, text or reference."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from concerns.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

FY = "period=year&year=2024"
PAGES = [
    f"/reports/?{FY}",
    f"/reports/export.xlsx?{FY}",
    f"/reports/board-pack.pdf?{FY}",
    f"/reports/export/route.csv?{FY}",
    "/reports/data-return/",
    "/reports/data-return.csv?quarter=2024-Q1",
]
APIS = [f"/api/v1/reports/dashboard/?{FY}", "/api/v1/reports/data-return/?quarter=2024-Q1"]
DESCRIPTION = "The night rota leaves the ward without a registrar."  # factories' default


def test_anonymous_visitors_are_sent_to_sign_in_or_refused(client, dataset):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    for url in APIS:
        assert client.get(url).status_code in {401, 403}, url


@pytest.mark.parametrize("role", [Role.REPORTER, Role.GUARDIAN])
def test_reporters_and_guardians_are_refused_everything(client, dataset, role):
    user = make_user(role, dataset.org)
    client.force_login(user)
    for url in PAGES + APIS:
        assert client.get(url).status_code == 403, url


def test_committee_member_may_not_download_the_data_return(client, dataset, committee):
    client.force_login(committee)
    assert client.get("/reports/data-return/").status_code == 403
    assert client.get("/reports/data-return.csv?quarter=2024-Q1").status_code == 403
    assert client.get("/api/v1/reports/data-return/?quarter=2024-Q1").status_code == 403


def test_committee_member_of_a_cannot_see_b(client, dataset, committee):
    client.force_login(committee)
    b = dataset.other_org.pk
    assert client.get(f"/reports/?{FY}&org={b}").status_code == 404
    assert client.get(f"/reports/export.xlsx?{FY}&org={b}").status_code == 404
    assert client.get(f"/reports/board-pack.pdf?{FY}&org={b}").status_code == 404
    assert client.get(f"/reports/export/route.csv?{FY}&org={b}").status_code == 404
    assert client.get(f"/api/v1/reports/dashboard/?{FY}&org={b}").status_code == 404
    assert client.get(f"/api/v1/reports/dashboard/?{FY}&org=999999").status_code == 404
    assert client.get(f"/reports/?{FY}&org=nonsense").status_code == 404
    # and the default scope holds A only: B's 5 concerns in May are not counted
    page = client.get("/reports/?period=month&month=2024-05").content.decode()
    assert dataset.other_org.name not in page
    data = client.get("/api/v1/reports/dashboard/?period=month&month=2024-05").json()
    assert [o["code"] for o in data["organisations"]] == [dataset.org.code]
    total = next(t for t in data["tables"] if t["key"] == "response")["rows"][0]["cells"][0]
    assert total["value"] == 10  # A's 10, not 15


def test_lead_guardian_of_a_cannot_pull_bs_data_return(client, dataset, lead):
    client.force_login(lead)
    b = dataset.other_org.pk
    assert (
        client.get(f"/reports/data-return.csv?quarter=2024-Q1&organisation={b}").status_code == 404
    )
    assert (
        client.get(f"/api/v1/reports/data-return/?quarter=2024-Q1&organisation={b}").status_code
        == 404
    )


def _committee_responses(client, dataset):
    yield client.get(f"/reports/?{FY}").content
    yield client.get("/reports/?period=month&month=2024-05").content
    yield client.get(f"/api/v1/reports/dashboard/?{FY}").content
    for table in ["trend", "category", "route", "response", "standards_evidence", "national"]:
        yield client.get(f"/reports/export/{table}.csv?{FY}").content
    pack = PdfReader(io.BytesIO(client.get(f"/reports/board-pack.pdf?{FY}").content))
    yield "\n".join(page.extract_text() for page in pack.pages).encode()
    book = load_workbook(io.BytesIO(client.get(f"/reports/export.xlsx?{FY}").content))
    yield "\n".join(
        str(c)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
    ).encode()


def test_no_reference_text_or_reporter_reaches_a_committee_member(client, dataset, committee):
    client.force_login(committee)
    usernames = ["rita", "gina"]
    for body in _committee_responses(client, dataset):
        text = body.decode("utf-8", "replace")
        assert "SU-" not in text
        assert DESCRIPTION not in text and "registrar" not in text
        for name in usernames:
            assert name not in text
        assert "/cases/" not in text


def test_no_cell_shows_1_to_7_in_any_committee_response(client, dataset, committee):
    client.force_login(committee)
    data = client.get(f"/api/v1/reports/dashboard/?{FY}").json()
    for table in data["tables"]:
        for row in table["rows"]:
            for cell in row["cells"]:
                if cell["unit"] == "":
                    assert cell["value"] is None or not 1 <= cell["value"] <= 7, (table["key"], row)
                if cell["suppressed"]:
                    assert cell["value"] is None and cell["display"] == "*"


def test_bad_period_is_a_400_not_a_500(client, dataset, committee):
    client.force_login(committee)
    assert client.get("/reports/?period=month&month=2024-13").status_code == 400
    assert client.get("/reports/?period=custom&from=2020-01&to=2024-01").status_code == 400
    response = client.get("/api/v1/reports/dashboard/?period=quarter&quarter=2024-Q9")
    assert response.status_code == 400 and "detail" in response.json()
    assert client.get("/reports/export/nonsense.csv").status_code == 404
    assert client.post(f"/reports/?{FY}").status_code == 405
