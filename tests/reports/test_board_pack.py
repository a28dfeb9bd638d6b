"""The Board pack: the dashboard as a PDF, with the same disclosed figures.

(Who may download it, and that it holds no case, reference or text: test_access.py.)"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.django_db

FY = "period=year&year=2024"
PACK = "/reports/board-pack.pdf"


def _text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_a_committee_member_downloads_the_board_pack(client, dataset, committee):
    client.force_login(committee)
    response = client.get(f"{PACK}?{FY}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = _text(response.content)
    assert "Freedom to Speak Up: report to the Board" in text
    assert "Financial year 2024/25" in text and dataset.org.name in text
    for title in ("Concerns by route", "Against the quality standards", "Beside the nation"):
        assert title in text
    assert "All staff, including learners, are able to speak up" in text  # standard 1.7
    assert "A concern can have several categories" in text
    assert "* means 1 to 7" in text


def test_the_board_pack_shows_the_pages_disclosed_figures(client, dataset, committee):
    client.force_login(committee)
    text = _text(client.get(f"{PACK}?{FY}").content)
    lines = [" ".join(line.split()) for line in text.splitlines()]

    # the route table as the page shows it: 10 open, confidential suppressed (3), 10 anonymous
    assert "Open 10 50%" in lines  # percentages of the disclosed counts (issue 13)
    assert "Confidential * *" in lines
    assert "Anonymous 10 50%" in lines
    assert not [line for line in lines if line.startswith("Confidential 3")]


def test_the_dashboard_links_to_the_board_pack_for_the_same_report(client, dataset, committee):
    client.force_login(committee)
    page = client.get(f"/reports/?{FY}").content.decode()
    assert f'href="{PACK}?period=year&amp;year=2024&amp;org={dataset.org.pk}"' in page


def test_a_period_with_no_concerns_still_makes_a_pack(client, dataset, committee):
    client.force_login(committee)
    response = client.get(f"{PACK}?period=month&month=2022-01")

    assert response.status_code == 200
    text = _text(response.content)
    assert "January 2022" in text or "Jan 2022" in text
    assert "Concerns by route" in text
