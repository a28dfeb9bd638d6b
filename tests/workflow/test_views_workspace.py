"""The guardian's day and the reporter's safety pages (issue 17, items 2 and 3): where each
role lands, the queue (open by default, total, search, reporter replied), the workload's
counts against the lists they link to, the receipt's download and "I have saved it", quick
exit, and the accessibility statement and privacy notice."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from concerns.roles import Role
from tests.factories import case_in_state, make_user, raise_concern
from workflow.models import Case
from workflow.services import handling, transitions
from workflow.services import reporter as reporter_actions

CODE_RE = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4,5}\b")
ROW_RE = re.compile(r'<a href="/cases/(SU-\d{4}-\d{5})/">')


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def listed(client: Client, query: str = "") -> list[str]:
    response = client.get(f"/cases/{query}")
    assert response.status_code == 200
    return ROW_RE.findall(response.content.decode())


# --- landing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "lands"),
    [
        (Role.GUARDIAN, "/cases/"),
        (Role.LEAD_GUARDIAN, "/cases/workload/"),
        (Role.COMMITTEE, "/reports/"),
        (Role.REPORTER, "/my-concerns/"),
        (Role.ADMIN, "/admin/"),
    ],
)
def test_each_role_lands_on_its_own_workspace(client, org, settings, role, lands):
    user = make_user(role, org, username=f"u-{role}", is_staff=role == Role.ADMIN)
    client.force_login(user)
    assert settings.LOGIN_REDIRECT_URL == "landing"
    response = client.get("/workspace/")
    assert (response.status_code, response["Location"]) == (302, lands)


def test_a_visitor_who_is_not_signed_in_lands_on_the_start_page(client, db):
    assert client.get("/workspace/")["Location"] == "/"


# --- the queue -----------------------------------------------------------------------------


@pytest.fixture
def queue_world(org, guardian, reporter):
    cases = {
        "new": raise_concern(org).case,
        "investigating": case_in_state(raise_concern(org).case, "investigating", guardian=guardian),
        "closed": case_in_state(raise_concern(org).case, "closed", guardian=guardian),
    }
    withdrawn = raise_concern(org, route="open", reporter=reporter).case
    transitions.case_withdraw(case=withdrawn, actor=reporter)
    cases["withdrawn"] = withdrawn
    return cases


def test_the_queue_lists_open_cases_by_default_with_a_total(client, guardian, queue_world):
    client.force_login(guardian)
    page = client.get("/cases/").content.decode()
    refs = ROW_RE.findall(page)
    assert set(refs) == {queue_world["new"].reference, queue_world["investigating"].reference}
    assert re.search(r"<strong>2</strong> open cases", page)
    everything = listed(client, "?status=all")
    assert set(everything) == {c.reference for c in queue_world.values()}


def test_the_queue_finds_a_case_by_reference(client, guardian, queue_world):
    client.force_login(guardian)
    wanted = queue_world["closed"].reference
    assert listed(client, f"?q={wanted}&status=all") == [wanted]
    assert listed(client, f"?q={wanted[-5:].lstrip('0')}&status=all") == [wanted]
    assert listed(client, f"?q={wanted.lower()}&status=all") == [wanted]
    assert listed(client, "?q=SU-1999-") == []
    # a long or odd search is ignored, never a 500
    assert client.get("/cases/?q=" + "%27%22<x>" * 20).status_code == 200


def test_the_queue_marks_a_case_the_reporter_has_replied_on(client, org, guardian, reporter):
    case = case_in_state(
        raise_concern(org, route="open", reporter=reporter).case, "investigating", guardian=guardian
    )
    handling.case_message_send(case=case, actor=guardian, body="Which ward?")
    client.force_login(guardian)
    assert "Reporter replied" not in client.get("/cases/").content.decode()
    reporter_actions.concern_message_reply(case=case, actor=reporter, body="Ward 7.")
    assert "Reporter replied" in client.get("/cases/").content.decode()
    handling.case_message_send(case=case, actor=guardian, body="Thank you.")
    assert "Reporter replied" not in client.get("/cases/").content.decode()


def test_status_tags_have_their_own_colours(client, guardian, queue_world):
    client.force_login(guardian)
    page = client.get("/cases/?status=all").content.decode()
    tags = set(re.findall(r"nhsuk-tag--([a-z-]+) su-tag-s\">(Received|Investigating|Closed)", page))
    assert {t[0] for t in tags} >= {"blue", "purple", "grey"}


def test_filters_are_folded_unless_one_is_chosen(client, guardian, queue_world):
    client.force_login(guardian)
    folded = client.get("/cases/").content.decode()
    assert re.search(r'<details class="nhsuk-details[^"]*">', folded)
    chosen = client.get("/cases/?route=anonymous").content.decode()
    assert re.search(r'<details class="nhsuk-details[^"]*" open>', chosen)


# --- the workload --------------------------------------------------------------------------


def test_every_workload_count_matches_the_list_it_links_to(
    client, org, lead, guardian, other_guardian, reporter, queue_world
):
    case_in_state(raise_concern(org).case, "acknowledged", guardian=other_guardian)
    cancelled = raise_concern(org, route="open", reporter=reporter).case
    transitions.case_withdraw(case=cancelled, actor=reporter)  # not open
    client.force_login(lead)
    page = client.get("/cases/workload/").content.decode()
    links = re.findall(r'<a href="(/cases/[^"]*)"[^>]*>(?:<strong[^>]*>)?(\d+)', page)
    links += re.findall(r'<a href="(/cases/[^"]*)"[^>]*>[^<]*<strong>(\d+)</strong>', page)
    assert len(links) >= 4, page
    for href, count in links:
        href = href.replace("&amp;", "&")
        assert len(listed(client, href[len("/cases/") :])) == int(count), href
    assert re.search(r"Unassigned open cases: <strong>1</strong>", page)  # withdrawn not counted


def test_the_workload_shows_due_soon(client, org, lead, guardian):
    case = case_in_state(raise_concern(org).case, "received", guardian=guardian)
    # due in 2 days (2 working days from a Thursday is Monday: not soon, so set it)
    due = timezone.now() + dt.timedelta(days=2)
    Case.objects.filter(pk=case.pk).update(due_at=due, acknowledge_due_at=due)
    client.force_login(lead)
    page = client.get("/cases/workload/").content.decode()
    assert "1 due soon" in page
    assert "?guardian=gina&amp;due=soon" in page


def test_the_workload_is_the_leads_only(client, guardian):
    client.force_login(guardian)
    assert client.get("/cases/workload/").status_code == 404


# --- the receipt ---------------------------------------------------------------------------


def _raise_and_read(client: Client, org) -> str:
    from tests.workflow.test_views_reporter import concern_form

    assert client.post("/raise/", concern_form(org)).status_code == 302
    page = client.get("/raise/receipt/").content.decode()
    assert "Your receipt code" in page
    return CODE_RE.search(page).group(0)


def test_the_receipt_downloads_as_a_small_text_file(client, org):
    code = _raise_and_read(client, org)
    response = client.post("/raise/receipt/", {"code": code, "action": "download"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"] == 'attachment; filename="speak-up-receipt.txt"'
    body = response.content.decode()
    assert code in body and "/receipt/" in body and len(body) < 1000
    assert "no-store" in response["Cache-Control"]


def test_the_reporter_confirms_they_saved_the_code(client, org):
    code = _raise_and_read(client, org)
    missing = client.post("/raise/receipt/", {"code": code, "action": "saved"})
    assert missing.status_code == 400
    page = missing.content.decode()
    assert "Confirm that you have saved your receipt code" in page
    assert code in page  # still shown: nothing was lost by forgetting the box
    done = client.post("/raise/receipt/", {"code": code, "action": "saved", "saved": "yes"})
    assert (done.status_code, done["Location"]) == (302, "/receipt/")


def test_a_posted_code_that_is_not_a_code_is_not_echoed(client, db):
    response = client.post("/raise/receipt/", {"code": "<script>x</script>", "action": "download"})
    assert response.status_code == 200
    assert "<script>x" not in response.content.decode()
    assert "already been shown" in response.content.decode()


def test_receipt_page_titles_are_neutral(client, org):
    # On a shared device the title stays in history and tabs: it names no receipt or concern.
    from tests.workflow.test_views_reporter import concern_form

    client.post("/raise/", concern_form(org))
    for _ in range(2):  # shown, then "already shown"
        page = client.get("/raise/receipt/").content.decode()
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        assert "receipt" not in title.lower() and "concern" not in title.lower(), title


# --- quick exit and the static pages ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/raise/", "/receipt/", "/accessibility/", "/privacy/"])
def test_reporter_pages_have_exit_this_page(client, db, path):
    page = client.get(path).content.decode()
    assert 'id="exit-this-page"' in page
    assert "Exit this page" in page


def test_a_signed_in_reporters_concern_page_has_exit_this_page(client, org, reporter):
    case = raise_concern(org, route="open", reporter=reporter).case
    client.force_login(reporter)
    assert 'id="exit-this-page"' in client.get(f"/my-concerns/{case.reference}/").content.decode()


def test_guardian_pages_do_not_show_exit_this_page(client, guardian):
    client.force_login(guardian)
    assert 'id="exit-this-page"' not in client.get("/cases/").content.decode()


def test_the_accessibility_statement_and_privacy_notice_are_in_every_footer(client, db):
    for path in ("/accessibility/", "/privacy/"):
        response = client.get(path)
        assert response.status_code == 200
    start = client.get("/").content.decode()
    footer = start[start.index("<footer") :]
    assert 'href="/accessibility/"' in footer and 'href="/privacy/"' in footer


def test_the_privacy_notice_says_what_is_kept_how_long_and_who_sees_it(client, db, settings):
    page = client.get("/privacy/").content.decode()
    for heading in ("What we keep", "Who sees what", "How long we keep it"):
        assert heading in page
    assert f"{settings.SPEAKUP_RETENTION.months_after_end} months" in page
