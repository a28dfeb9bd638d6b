"""Object-level checks on the PAGES (tests/api holds the API's own matrix).

Every case page and case action, attachment download, reporter concern page and action, the
anonymous receipt conversation, notifications and reports: each role against another
organisation's or another reporter's objects gets a 404, the same as for something that does
not exist, and nothing changes. Each denial has a positive control: the same request by the
rightful actor succeeds, so the payloads are real and the denial is the check at work.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from notifications.models import Notification
from tests.security.world import World, build_world, client_for, row_counts
from workflow.models import Case

pytestmark = pytest.mark.django_db

SECRET = "IDOR-MARKER the words of the reporter"


@pytest.fixture
def world(settings) -> World:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    return build_world(description=SECRET)


def state(world: World) -> tuple:
    """Everything a refused request must leave as it was."""
    cases = tuple(
        Case.objects.filter(pk=c.pk)
        .values_list("status", "version", "assigned_guardian_id", "referral_destination")
        .get()
        for c in world.cases()
    )
    categories = tuple(
        tuple(sorted(c.concern.categories.values_list("slug", flat=True))) for c in world.cases()
    )
    read = tuple(Notification.objects.order_by("pk").values_list("pk", "read_at"))
    return row_counts(), cases, categories, read


def case_actions(world: World, case: Case) -> dict[str, dict]:
    """Each case page action with a payload that would succeed for the case's handler."""
    case.refresh_from_db()
    v = case.version
    ours = case.organisation_id == world.org.pk
    handler = (
        case.assigned_guardian_id or world.users["guardian" if ours else "outsider_guardian"].pk
    )
    return {
        "actions/acknowledge/": {"acknowledge-version": v, "acknowledge-note": "ok"},
        "actions/start_investigation/": {"start_investigation-version": v},
        "actions/give_feedback/": {"give_feedback-version": v, "give_feedback-message": "Done"},
        "actions/close/": {"close-version": v},
        "actions/refer/": {"refer-version": v, "refer-destination": "hr", "refer-note": "HR"},
        "actions/reopen/": {"reopen-version": v, "reopen-note": "new evidence"},
        "assign/": {"assign-version": v, "assign-guardian": handler},
        "messages/": {"message-body": "A message from someone who should not be here."},
        "notes/": {"note-body": "A note from someone who should not be here."},
        "triage/": {
            "triage-version": v,
            "triage-categories": ["worker-safety"],
            "triage-note": "recategorised",
        },
        "outcome/": {
            "outcome-version": v,
            "outcome-upheld": "upheld",
            "outcome-findings": "Found nothing.",
        },
        "detriment/": {"detriment-suffered": "yes", "detriment-note": "noted"},
        "identity/": {"reveal-reason": "curiosity"},
    }


# Who tries, against which case (by World attribute): never theirs to see.
CASE_DENIALS = [
    ("guardian", "other_case"),
    ("guardian", "other_anon_case"),
    ("lead", "other_case"),
    ("outsider_guardian", "open_case"),
    ("outsider_guardian", "conf_case"),
    ("outsider_guardian", "anon_case"),
    ("reporter", "open_case"),  # their own concern, but not through the guardian pages
    ("other_reporter", "other_case"),
    ("receipt", "anon_case"),
    ("committee", "open_case"),
    ("admin", "open_case"),
]


@pytest.mark.parametrize(("role", "target"), CASE_DENIALS)
def test_case_pages_and_actions_of_unseen_cases_are_404_and_change_nothing(world, role, target):
    # Given a case the role may not see, and one that does not exist
    case = getattr(world, target)
    client = client_for(world, role)
    before = state(world)
    missing = client.get("/cases/SU-0000-00000/")
    # When they open its page, download its attachment, and try every action on it
    answers = {"page": client.get(f"/cases/{case.reference}/")}
    for attachment in (world.attachment, world.other_attachment):
        answers[f"attachment {attachment.pk}"] = client.get(
            f"/cases/{case.reference}/attachments/{attachment.pk}/"
        )
    for action, data in case_actions(world, case).items():
        answers[action] = client.post(f"/cases/{case.reference}/{action}", data)
    # Then every answer is what a missing case gets (a 404; someone not signed in is sent to
    # sign in, whatever the reference), and nothing changed
    expected = 302 if role == "receipt" else 404
    assert missing.status_code == expected
    wrong = {k: r.status_code for k, r in answers.items() if r.status_code != expected}
    assert not wrong, wrong
    if expected == 302:
        assert all("/accounts/login/" in r["Location"] for r in answers.values())
    assert all(SECRET.encode() not in r.content for r in answers.values())
    assert state(world) == before


def test_positive_control_the_handler_can_do_what_others_cannot(world):
    # Given the outsider guardian handling the other organisation's case
    client = client_for(world, "outsider_guardian")
    case = world.other_case
    before = state(world)
    # When they open it, download its attachment, note, message, triage and acknowledge
    page = client.get(f"/cases/{case.reference}/")
    download = client.get(f"/cases/{case.reference}/attachments/{world.other_attachment.pk}/")
    done = {}
    for action in ("notes/", "messages/", "triage/", "detriment/", "actions/acknowledge/"):
        done[action] = client.post(
            f"/cases/{case.reference}/{action}", case_actions(world, case)[action]
        ).status_code
    # Then each works, and the case changed
    assert page.status_code == 200 and SECRET.encode() in page.content
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert set(done.values()) == {302}, done
    assert state(world) != before


def test_an_attachment_of_another_case_is_404_even_through_a_case_you_can_see(world):
    # Given the guardian handling open_case, and the other organisation's attachment
    client = client_for(world, "guardian")
    ref = world.open_case.reference
    # When they ask for it through their own case
    response = client.get(f"/cases/{ref}/attachments/{world.other_attachment.pk}/")
    # Then it does not exist for them; their own attachment downloads
    assert response.status_code == 404
    assert client.get(f"/cases/{ref}/attachments/{world.attachment.pk}/").status_code == 200


def test_a_guardian_who_sees_but_does_not_handle_a_case_is_refused_403_and_nothing_changes(world):
    # Given gina, a guardian of the organisation, and a case assigned to gary (design: 403)
    client = client_for(world, "guardian")
    case = world.conf_case
    before = state(world)
    # When she tries the handler's actions
    handler_only = [
        "actions/acknowledge/",
        "messages/",
        "triage/",
        "outcome/",
        "detriment/",
        "identity/",
    ]
    actions = case_actions(world, case)
    codes = {
        a: client.post(f"/cases/{case.reference}/{a}", actions[a]).status_code for a in handler_only
    }
    # Then she is refused, she can still read the case, and nothing changed
    assert set(codes.values()) == {403}, codes
    assert client.get(f"/cases/{case.reference}/").status_code == 200
    assert state(world) == before


# --- the reporter's pages -----------------------------------------------------------------

REPORTER_ACTIONS = {
    "": None,
    "reply/": {"reply-body": "Words put into someone else's conversation."},
    "withdraw/": {"withdraw-note": "withdrawn by someone else"},
    "speak-up-again/": {"again-answer": "no", "again-comment": "not mine"},
    "detriment/": {"detriment-suffered": "yes", "detriment-note": "not mine"},
}

REPORTER_DENIALS = [
    ("reporter", "other_case"),  # another reporter's concern
    ("other_reporter", "open_case"),
    ("other_reporter", "conf_case"),
    ("reporter", "anon_case"),  # anonymous concerns are nobody's "my concern"
    ("guardian", "open_case"),  # staff do not read a reporter's page of their case
    ("lead", "conf_case"),
    ("committee", "open_case"),
    ("admin", "conf_case"),
]


@pytest.mark.parametrize(("role", "target"), REPORTER_DENIALS)
def test_another_reporters_concern_is_404_and_changes_nothing(world, role, target):
    # Given a concern that is not the role's own
    case = getattr(world, target)
    client = client_for(world, role)
    before = state(world)
    missing = client.get("/my-concerns/SU-0000-00000/")
    # When they open it or act on it, or open its "sent" page
    answers = {"sent": client.get(f"/raise/sent/{case.reference}/")}
    for action, data in REPORTER_ACTIONS.items():
        path = f"/my-concerns/{case.reference}/{action}"
        answers[action or "page"] = client.post(path, data) if data else client.get(path)
    # Then it does not exist for them, and nothing changed
    assert missing.status_code == 404
    wrong = {k: r.status_code for k, r in answers.items() if r.status_code != 404}
    assert not wrong, wrong
    assert all(SECRET.encode() not in r.content for r in answers.values())
    assert state(world) == before


def test_positive_control_a_reporter_reads_and_answers_their_own_concern(world):
    client = client_for(world, "reporter")
    ref = world.open_case.reference
    before = state(world)
    page = client.get(f"/my-concerns/{ref}/")
    reply = client.post(f"/my-concerns/{ref}/reply/", REPORTER_ACTIONS["reply/"])
    assert page.status_code == 200 and SECRET.encode() in page.content
    assert reply.status_code == 302
    assert state(world) != before


def test_a_receipt_opens_only_its_own_concern(world):
    # Given a client holding the receipt of the anonymous concern of the first organisation
    client = client_for(world, "receipt")
    # When it reads its conversation and tries the other anonymous concern's pages
    own = client.get("/receipt/concern/")
    others = [
        client.get(f"/my-concerns/{world.other_anon_case.reference}/"),
        client.post(
            f"/my-concerns/{world.other_anon_case.reference}/reply/", REPORTER_ACTIONS["reply/"]
        ),
        client.get(f"/cases/{world.other_anon_case.reference}/"),
    ]
    # Then it sees its own concern only; the others send it to sign in (it is nobody)
    assert own.status_code == 200
    assert world.anon_case.reference.encode() in own.content
    assert world.other_anon_case.reference.encode() not in own.content
    for response in others:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_signed_in_reporter_holding_a_receipt_still_sees_only_that_one_anonymous_concern(
    world,
):
    # Given rita, signed in, who also holds the receipt of the anonymous concern
    client = client_for(world, "reporter")
    assert client.post("/receipt/", {"code": world.anon_code}).status_code == 302
    # When she opens the receipt conversation and the other anonymous concern by reference
    own = client.get("/receipt/concern/")
    other = client.get(f"/my-concerns/{world.other_anon_case.reference}/")
    # Then the receipt gives her its concern, and nothing more
    assert own.status_code == 200 and world.anon_case.reference.encode() in own.content
    assert other.status_code == 404


def test_a_wrong_receipt_code_opens_nothing(world):
    client = client_for(world, "anonymous")
    wrong = world.anon_code[:-1] + ("A" if world.anon_code[-1] != "A" else "B")
    response = client.post("/receipt/", {"code": wrong})
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/receipt/concern/").status_code == 302


# --- notifications and reports ----------------------------------------------------------------


def test_notifications_of_someone_else_are_404_and_stay_unread(world):
    # Given gina and a notification of oscar's
    client = client_for(world, "guardian")
    theirs = world.other_notification
    before = state(world)
    # When gina lists hers and marks oscar's read
    listing = client.get("/notifications/")
    response = client.post(f"/notifications/{theirs.pk}/read/")
    # Then his is not hers to touch, and nothing changed; her own can be marked read
    assert response.status_code == 404
    assert state(world) == before
    assert world.other_case.reference.encode() not in listing.content
    mine = client.post(f"/notifications/{world.notification.pk}/read/")
    assert mine.status_code == 302
    world.notification.refresh_from_db()
    assert world.notification.read_at is not None


@pytest.mark.parametrize("role", ["reporter", "committee", "admin", "receipt"])
def test_notifications_are_staff_only(world, role):
    client = client_for(world, role)
    before = state(world)
    responses = [
        client.get("/notifications/"),
        client.get("/notifications/unread/"),
        client.post(f"/notifications/{world.notification.pk}/read/"),
        client.post("/notifications/read-all/"),
    ]
    # Refused for every notification alike (by role, so no object's existence shows)
    assert {r.status_code for r in responses} <= {302, 403, 404}, [r.status_code for r in responses]
    assert state(world) == before


def test_a_committee_member_cannot_report_on_another_organisation(world):
    # Given colin, a committee member of the first organisation only
    client = client_for(world, "committee")
    other = world.other_org.pk
    # When he asks for the other organisation's figures and exports
    answers = {
        "dashboard": client.get(f"/reports/?org={other}"),
        "csv": client.get(f"/reports/export/category.csv?org={other}"),
        "xlsx": client.get(f"/reports/export.xlsx?org={other}"),
        "api": client.get(f"/api/v1/reports/dashboard/?org={other}"),
        "return": client.get(f"/reports/data-return.csv?quarter=2026-Q1&organisation={other}"),
    }
    # Then it is not there for him, and his own organisation's report is
    wrong = {k: r.status_code for k, r in answers.items() if r.status_code not in {403, 404}}
    assert not wrong, wrong
    assert all(world.other_org.name.encode() not in r.content for r in answers.values())
    assert client.get(f"/reports/?org={world.org.pk}").status_code == 200


@pytest.mark.parametrize("role", ["anonymous", "reporter", "guardian", "receipt"])
def test_reports_are_for_committees_and_leads_only(world, role):
    client = client_for(world, role)
    for path in ("/reports/", "/reports/export.xlsx", "/reports/export/category.csv"):
        response = client.get(path)
        assert response.status_code in {302, 403, 404}, (path, response.status_code)
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", ["guardian", "lead", "outsider_guardian"])
def test_the_queue_and_workload_list_only_the_organisations_own_cases_and_guardians(world, role):
    # Given guardians of each organisation
    client = client_for(world, role)
    ours = {world.org.pk} if role != "outsider_guardian" else {world.other_org.pk}
    # When they open their queue (every page size) and, for the lead, the workload
    body = client.get("/cases/", {"per_page": 100}).content.decode()
    # Then every case of their organisations is listed, and no other
    for case in world.cases():
        assert (case.reference in body) == (case.organisation_id in ours), case.reference
    if role == "lead":
        workload = client.get("/cases/workload/").content.decode()
        names = {k: world.users[k].get_full_name() for k in ("outsider_guardian", "other_lead")}
        assert not [n for n in names.values() if n in workload], names
        assert world.users["guardian"].get_full_name() in workload
