"""Files in the conversation, in a real browser: a guardian attaches a file to a message, the
anonymous reporter with the receipt sees and downloads it, the reporter replies with a file
and the guardian downloads that. The pages with the new file inputs reflow and pass axe at
320, 640 and 1280 px, in their error states too."""

from __future__ import annotations

from pathlib import Path

import pytest

from concerns.roles import Role
from tests.e2e.test_reflow_axe import AXE, WIDTHS, _problems, _session
from tests.factories import OrganisationFactory, case_in_state, make_user, raise_concern
from workflow.models import CaseFile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MINUTES = b"%PDF-1.4 minutes of the rota meeting"
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _file(name: str, data: bytes, mime: str) -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def _axe_at_every_width(page, label: str) -> list[str]:
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        problems += [f"{label} {width}px: {p}" for p in _problems(page, width)]
    return problems


@pytest.fixture
def world():
    org = OrganisationFactory(code="RF7", name="Files Placement Trust")
    guardian = make_user(Role.GUARDIAN, org, username="gwyneth", first_name="Gwyneth")
    raised = raise_concern(org)
    case_in_state(raised.case, "investigating", guardian=guardian)
    return {"case": raised.case, "code": raised.receipt_code, "guardian": guardian}


def test_a_file_goes_to_the_anonymous_reporter_and_one_comes_back(asgi_browser, asgi_server, world):
    if not AXE.exists():
        pytest.skip(f"SKIPPED LOUDLY: axe-core is not installed at {AXE} (npm ci)")
    case, ref, problems = world["case"], world["case"].reference, []
    staff = asgi_browser.new_context(base_url=asgi_server.url, accept_downloads=True)
    cookie = {"name": "sessionid", "value": _session(world["guardian"])}
    staff.add_cookies([{**cookie, "url": asgi_server.url}])
    gpage = staff.new_page()

    # Given the guardian on the case page, with its file inputs
    gpage.goto(f"/cases/{ref}/")
    problems += _axe_at_every_width(gpage, "case page")

    # When a disguised file is attached to the message, the form says what is wrong
    gpage.get_by_label("Message to the reporter").fill("The minutes of the meeting.")
    gpage.get_by_label("Attach a file for the reporter (optional)").set_input_files(
        _file("minutes.pdf", b"MZ not a pdf", "application/pdf")
    )
    gpage.get_by_role("button", name="Send message").click()
    assert gpage.get_by_text("does not look like a real PDF").first.is_visible()
    problems += _axe_at_every_width(gpage, "case page, bad file")

    # And a real one is sent
    gpage.get_by_label("Message to the reporter").fill("The minutes of the meeting.")
    gpage.get_by_label("Attach a file for the reporter (optional)").set_input_files(
        _file("Gwyneth minutes.pdf", MINUTES, "application/pdf")
    )
    gpage.get_by_role("button", name="Send message").click()
    assert gpage.get_by_text("Message sent to the reporter.").is_visible()
    assert gpage.get_by_role("link", name=f"{ref}-file-1.pdf").is_visible()

    # Then the anonymous reporter, coming back with the receipt, sees and downloads it
    reporter = asgi_browser.new_context(base_url=asgi_server.url, accept_downloads=True)
    rpage = reporter.new_page()
    rpage.goto("/receipt/")
    rpage.get_by_label("Your receipt code").fill(world["code"])
    rpage.get_by_role("button", name="Continue").click()
    rpage.wait_for_selector("#conversation")
    problems += _axe_at_every_width(rpage, "reporter's page")
    with rpage.expect_download() as info:
        rpage.get_by_role("link", name=f"{ref}-file-1.pdf").click()
    download = info.value
    assert download.suggested_filename == f"{ref}-file-1.pdf"
    assert Path(download.path()).read_bytes() == MINUTES

    # When the reporter replies with a file of the wrong type, the reply form says so
    rpage.get_by_label("Your reply").fill("Here is a photo of the rota.")
    rpage.get_by_label("Attach a file for the guardian (optional)").set_input_files(
        _file("rota.exe", b"MZ", "application/octet-stream")
    )
    rpage.get_by_role("button", name="Send reply").click()
    assert rpage.get_by_text("is not a file type we accept").first.is_visible()
    problems += _axe_at_every_width(rpage, "reporter's page, bad file")

    # And with a photo, which the guardian then downloads
    rpage.get_by_label("Your reply").fill("Here is a photo of the rota.")
    rpage.get_by_label("Attach a file for the guardian (optional)").set_input_files(
        _file("my rota.png", PHOTO, "image/png")
    )
    rpage.get_by_role("button", name="Send reply").click()
    assert rpage.get_by_text("Your reply has been sent").is_visible()
    gpage.goto(f"/cases/{ref}/")
    with gpage.expect_download() as info:
        gpage.get_by_role("link", name=f"{ref}-file-2.png").click()
    assert Path(info.value.path()).read_bytes() == PHOTO
    assert "my rota" not in gpage.content() and "Gwyneth minutes" not in rpage.content()

    # And a file on an internal note never reaches the reporter's page
    gpage.get_by_role("textbox", name="Internal note").fill("Checked with the ward manager.")
    gpage.get_by_label("Attach a file to the note (optional)").set_input_files(
        _file("note.pdf", MINUTES, "application/pdf")
    )
    gpage.get_by_role("button", name="Add internal note").click()
    assert gpage.get_by_text("Internal note added.").is_visible()
    rpage.reload()
    assert f"{ref}-file-3" not in rpage.content()
    assert CaseFile.objects.filter(case=case).count() == 3
    assert problems == [], "\n".join(problems)
    staff.close()
    reporter.close()
