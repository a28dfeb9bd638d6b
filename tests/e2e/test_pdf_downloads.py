"""In a real browser: the guardian downloads the case bundle from the case page (and sees the
download in the timeline), and a committee member downloads the tagged Board pack."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from concerns.roles import Role
from tests.e2e.test_reflow_axe import _session
from tests.factories import OrganisationFactory, case_in_state, make_user, raise_concern

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, user) -> None:
    page.context.add_cookies(
        [{"name": "sessionid", "value": _session(user), "url": live_server.url}]
    )


def _tagged(path: str) -> PdfReader:
    reader = PdfReader(io.BytesIO(Path(path).read_bytes()))
    assert bool(reader.trailer["/Root"]["/MarkInfo"]["/Marked"])
    return reader


def test_the_guardian_downloads_the_case_bundle(browser_page, live_server):
    org = OrganisationFactory(code="RB11", name="Bundle Placement NHS Trust")
    guardian = make_user(Role.GUARDIAN, org, username="bethan", first_name="Bethan")
    case = case_in_state(raise_concern(org).case, "investigating", guardian=guardian)
    page = browser_page
    _sign_in(page, live_server, guardian)
    page.goto(f"/cases/{case.reference}/")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download the case bundle (PDF)").click()

    assert download.value.suggested_filename == f"case-bundle-{case.reference}.pdf"
    text = " ".join(p.extract_text() for p in _tagged(download.value.path()).pages)
    assert f"Case bundle: {case.reference}" in text
    page.goto(f"/cases/{case.reference}/")
    assert "Case bundle downloaded" in page.locator("#timeline").inner_text()


def test_a_committee_member_downloads_the_tagged_board_pack(browser_page, live_server):
    org = OrganisationFactory(code="RB12", name="Pack Placement NHS Trust")
    raise_concern(org)
    page = browser_page
    _sign_in(page, live_server, make_user(Role.COMMITTEE, org, username="petra"))
    page.goto("/reports/")

    with page.expect_download() as download:
        page.get_by_role("link", name="Board pack (PDF)").click()

    reader = _tagged(download.value.path())
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert "Key messages" in reader.pages[0].extract_text()
