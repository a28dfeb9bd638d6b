"""Identity minimisation, attacked (issue 13): a confidential and an anonymous concern, the
reporter active on both, and every staff channel swept for who they are.

Given a reporter with a distinctive username, first and last name and email, who raises a
confidential concern (giving that name and email as their identity) and, while signed in, an
anonymous one, and then replies, answers and withdraws through the API; and guardians who
assign, acknowledge, message, note, record an outcome and close:

- no staff API answer (every GET a guardian or lead can make about these cases, and every
  answer to their writes), no staff page, no live message, no email and no log record holds
  the reporter's username, names or email;
- the confidential identity is in exactly one answer: the reveal, given a reason, whose event
  the case log then holds;
- the control: an *open* concern by another reporter does show their username to staff, so
  the sweep can see a name when one is there.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from concerns.roles import Role
from notifications import live
from tests.api.conftest import client_for, receipt_token
from tests.factories import make_user, raise_concern
from workflow.models import EventKind

pytestmark = pytest.mark.django_db

USERNAME = "zorblattq"
FIRST, LAST = "Quillonia", "Vexmoorian"
EMAIL = "zorblattq.vexmoorian@example.nhs.uk"
SECRETS = [USERNAME, FIRST, LAST, EMAIL, "vexmoor", "zorblatt", "quillon"]


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [s for s in SECRETS if s.lower() in lowered]


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.SPEAKUP_ANONYMOUS_NOTIFY_DELAY = (0, 0)  # emails are part of the sweep: now
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # throttle counters


@pytest.fixture
def sent_live(monkeypatch):
    """Every live message sent (and still sent: this only listens)."""
    heard: list[tuple[str, dict]] = []
    real = live.groups_send

    def listening(sends):
        heard.extend(sends)
        return real(sends)

    monkeypatch.setattr(live, "groups_send", listening)
    monkeypatch.setattr("notifications.receivers.live.groups_send", listening)
    return heard


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def test_no_staff_channel_names_a_hidden_reporter(
    org, django_capture_on_commit_callbacks, caplog, sent_live
):
    caplog.set_level(logging.DEBUG)
    rita = make_user(
        Role.REPORTER, username=USERNAME, first_name=FIRST, last_name=LAST, email=EMAIL
    )
    otto = make_user(Role.REPORTER, username="ottoopenreporter", email="otto@example.nhs.uk")
    gina = make_user(Role.GUARDIAN, org, username="gina")
    lena = make_user(Role.LEAD_GUARDIAN, org, username="lena")
    staff_answers: list[tuple[str, str]] = []

    def staff(client, method: str, path: str, data=None) -> object:
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(client, method)(path, data or {}, format="json")
        assert response.status_code < 500, (path, response.status_code)
        staff_answers.append((f"{method.upper()} {path}", _body(response)))
        return response

    reporter_api = client_for(rita)
    with django_capture_on_commit_callbacks(execute=True):
        conf = raise_concern(
            org,
            route="confidential",
            reporter=rita,
            reporter_name=f"{FIRST} {LAST}",
            reporter_contact=EMAIL,
            email_updates=True,
        ).case
        anon_raised = raise_concern(org, route="anonymous", reporter=rita)
        open_case = raise_concern(org, route="open", reporter=otto, reporter_name="Otto").case
    anon = anon_raised.case
    receipt_api = client_for(token=receipt_token(anon_raised.receipt_code))
    guardian_api, lead_api = client_for(gina), client_for(lena)

    # Staff handle all three; the reporter answers on both hidden ones
    for case in (conf, anon, open_case):
        ref = case.reference
        staff(lead_api, "post", f"/api/v1/cases/{ref}/assign/", {"guardian": "gina"})
        staff(guardian_api, "post", f"/api/v1/cases/{ref}/transitions/acknowledge/")
        staff(guardian_api, "post", f"/api/v1/cases/{ref}/messages/", {"body": "Tell me more"})
        staff(guardian_api, "post", f"/api/v1/cases/{ref}/notes/", {"body": "Spoke to ward"})
    with django_capture_on_commit_callbacks(execute=True):
        path = f"/api/v1/concerns/{conf.reference}/messages/"
        assert reporter_api.post(path, {"body": "It was Tuesday"}, format="json").status_code == 201
        assert (
            receipt_api.post(
                "/api/v1/anonymous/concern/messages/", {"body": "Night shift"}, format="json"
            ).status_code
            == 201
        )
        path = f"/api/v1/concerns/{open_case.reference}/messages/"
        assert client_for(otto).post(path, {"body": "Yes"}, format="json").status_code == 201
    for case in (conf, open_case):
        ref = case.reference
        staff(guardian_api, "post", f"/api/v1/cases/{ref}/transitions/start_investigation/")
        feedback = {"message": "We looked into the rota."}  # feedback is a written message
        staff(guardian_api, "post", f"/api/v1/cases/{ref}/transitions/give_feedback/", feedback)
        outcome = {"upheld": "upheld", "findings": "The rota was unsafe."}
        staff(guardian_api, "post", f"/api/v1/cases/{ref}/outcome/", outcome)
        closed = staff(guardian_api, "post", f"/api/v1/cases/{ref}/transitions/close/")
        assert closed.json()["status"] == "closed"
    with django_capture_on_commit_callbacks(execute=True):
        path = f"/api/v1/concerns/{conf.reference}/feedback/"
        assert reporter_api.post(path, {"answer": "yes"}, format="json").status_code == 200
        withdrawn = receipt_api.post("/api/v1/anonymous/concern/withdraw/", {}, format="json")
        assert withdrawn.status_code == 200

    # When staff read everything the API and the pages give them about the cases
    for client in (guardian_api, lead_api):
        staff(client, "get", "/api/v1/cases/")
        for sort in ("oldest", "activity", "status", "due"):
            staff(client, "get", f"/api/v1/cases/?sort={sort}")
        for case in (conf, anon):
            ref = case.reference
            for tail in ("", "events/", "messages/", "notes/"):
                staff(client, "get", f"/api/v1/cases/{ref}/{tail}")
    pages = []
    for user in (gina, lena):
        browser = Client()
        browser.force_login(user)
        for path in ["/cases/", "/cases/workload/", "/notifications/"] + [
            f"/cases/{c.reference}/" for c in (conf, anon)
        ]:
            response = browser.get(path)
            assert response.status_code in {200, 403, 404}, (path, response.status_code)
            pages.append((path, _body(response)))

    # Then nothing names the reporter of the confidential or the anonymous concern
    leaks = [(where, _leaks(text)) for where, text in staff_answers + pages if _leaks(text)]
    assert leaks == []
    reporter_mail = [m for m in mail.outbox if EMAIL in m.to]
    staff_mail = [m for m in mail.outbox if EMAIL not in m.to]
    assert staff_mail, "the sweep saw staff emails"
    for message in staff_mail:
        text = f"{message.subject}\n{message.body}\n{message.to}\n{dict(message.extra_headers)}"
        assert _leaks(text) == [], message.subject
    assert reporter_mail, "the confidential reporter asked for updates (the control)"
    assert sent_live, "the sweep saw live messages"
    assert _leaks(json.dumps(sent_live)) == []
    logged_lines = [r.getMessage() for r in caplog.records if not r.name.startswith("factory")]
    assert logged_lines, "the sweep saw log records"
    assert [line for line in logged_lines if _leaks(line)] == []
    # and events and messages say "Reporter" where the reporter acted
    events = json.loads(dict(staff_answers)[f"GET /api/v1/cases/{conf.reference}/events/"])
    assert {e["actor"] for e in events if e["actor_role"] == "reporter"} == {"Reporter"}
    messages = json.loads(dict(staff_answers)[f"GET /api/v1/cases/{anon.reference}/messages/"])
    assert {m["author"] for m in messages if m["side"] == "reporter"} == {"Reporter"}

    # The control: the open reporter is named to staff (the sweep can see a name)
    events = staff(lead_api, "get", f"/api/v1/cases/{open_case.reference}/events/").json()
    assert "ottoopenreporter" in {e["actor"] for e in events}

    # And the confidential identity is in the reveal's answer only, and the reveal is logged
    refused = staff(lead_api, "post", f"/api/v1/cases/{conf.reference}/identity/", {})
    assert refused.status_code == 400
    revealed = staff(
        lead_api,
        "post",
        f"/api/v1/cases/{conf.reference}/identity/",
        {"reason": "Needed to arrange a meeting"},
    )
    assert revealed.status_code == 200
    assert revealed.json() == {"name": f"{FIRST} {LAST}", "contact": EMAIL}
    logged = conf.events.filter(kind=EventKind.IDENTITY_VIEWED).get()
    assert logged.actor == lena and logged.note == "Needed to arrange a meeting"
    after = staff(lead_api, "get", f"/api/v1/cases/{conf.reference}/events/")
    assert _leaks(_body(after)) == []
    # an anonymous concern has no identity to reveal; a guardian of another case none either
    no_identity = staff(
        lead_api, "post", f"/api/v1/cases/{anon.reference}/identity/", {"reason": "x"}
    )
    assert no_identity.status_code == 403
    assert _leaks(_body(no_identity)) == []
