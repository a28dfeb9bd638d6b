"""A whole life of three concerns, watched for anything that identifies a reporter.

Given an open, a confidential and an anonymous concern raised through the pages, each with
distinctive markers in its description, hoped-for outcome, name, contact, attachment name,
messages, notes and answers, and guardians driving the cases to closed through the pages;
with every log record (root logger, DEBUG) and every email captured over the whole flow:

- no committee page, export or /api/v1/reports/ answer contains a marker, a receipt code or a
  case reference ("SU-");
- no log record and no email contains a marker, a receipt code, the client's IP address or its
  user agent;
- no receipt code appears in any URL (Location headers, links or form actions in pages), in
  any database row in clear, or in any stored session.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from concerns.models import Category
from concerns.receipts import receipt_normalise
from concerns.roles import Role
from notifications.models import Delivery
from notifications.tasks import deliver
from reports.periods import financial_year_of
from tests.factories import OrganisationFactory, make_user
from workflow.models import Case

pytestmark = pytest.mark.django_db

IP = "203.0.113.77"
AGENT = "SweepAgent/9.9 (privacy-sweep; MarkerOS)"
PDF = b"%PDF-1.4\n% test\n"

MARKERS = {
    "open": {
        "description": "ZEBRAPLUM open description of the night rota",
        "outcome": "ZEBRAPLUM-HOPE an apology",
        "name": "Quentinia Zebraplum",
        "contact": "quentinia.zebraplum@example.nhs.uk",
        "file": "zebraplum-evidence.pdf",
        "reply": "ZEBRAPLUM-REPLY the registrar left at 2am",
    },
    "confidential": {
        "description": "MARMOSETTA confidential description of bullying on ward 7",
        "outcome": "MARMOSETTA-HOPE it stops",
        "name": "Ottoline Marmosetta",
        "contact": "07700 900461",
        "file": "marmosetta-notes.pdf",
        "reply": "MARMOSETTA-REPLY it happened again on Tuesday",
    },
    "anonymous": {
        "description": "QUOKKAFERN anonymous description of unsafe staffing",
        "outcome": "QUOKKAFERN-HOPE more staff",
        "name": "",
        "contact": "",
        "file": "quokkafern-photo.pdf",
        "reply": "QUOKKAFERN-REPLY I am a third year student",
    },
}
GUARDIAN_TEXT = {
    "message": "GUARDMSG-WOMBATINE please tell me more",
    "note": "GUARDNOTE-WOMBATINE spoke to the ward manager",
    "findings": "FINDINGS-WOMBATINE the rota was unsafe",
    "lessons": "LESSONS-WOMBATINE fund another registrar",
    "reveal": "REVEAL-WOMBATINE needed for the investigation",
    "give_feedback": "FEEDBACK-WOMBATINE the rota now has two nurses",
    "close": "SUMMARY-WOMBATINE upheld, and the ward has changed",
    "again": "AGAIN-WOMBATINE only because the guardian listened",
    "detriment": "DETRIMENT-WOMBATINE moved to nights after speaking up",
}
# Stems found in every marker above: a leak of any part of a marker still shows (lower case).
STEMS = ["zebraplum", "marmosetta", "quokkafern", "wombatine", "quentinia", "ottoline", "900461"]
CODE_RE = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4,5}\b")


def _leaked(text: str, extra: list[str]) -> list[str]:
    lowered = text.lower()
    return [s for s in STEMS if s in lowered] + [s for s in extra if s and s in text]


def _client() -> Client:
    return Client(REMOTE_ADDR=IP, HTTP_USER_AGENT=AGENT, raise_request_exception=False)


class Flow:
    """Runs requests as if each committed, so the post-commit hooks (notifications, report
    roll-ups) run too, and keeps every response and URL seen."""

    def __init__(self, capture) -> None:
        self.capture = capture
        self.responses: list[tuple[str, object]] = []

    def go(self, client: Client, method: str, path: str, data=None, **extra):
        with self.capture(execute=True):
            response = getattr(client, method)(path, data or {}, **extra)
        assert response.status_code < 500, (method, path, response.status_code)
        self.responses.append((path, response))
        return response

    def ok(self, client: Client, method: str, path: str, data=None, **extra):
        response = self.go(client, method, path, data, **extra)
        assert response.status_code in {200, 302}, (path, response.status_code)
        return response


def _raise_form(org, route: str, marks: dict[str, str]) -> dict:
    return {
        "organisation": org.pk,
        "categories": [Category.objects.get(slug="patient-safety").pk],
        "description": marks["description"],
        "outcome_hoped": marks["outcome"],
        "raised_elsewhere": "no",
        "reporter_role": "learner",
        "professional_group": "nursing_midwifery",
        "route": route,
        "reporter_name": marks["name"],
        "reporter_contact": marks["contact"],
        "email_updates": "on",
        "attachments": SimpleUploadedFile(marks["file"], PDF, "application/pdf"),
    }


def _version(case: Case) -> int:
    case.refresh_from_db()
    return case.version


def _drive_to_closed(flow: Flow, guardian_client: Client, guardian, case: Case) -> None:
    """Assign, acknowledge, investigate, message, note, outcome, feedback, close: as pages."""
    base = f"/cases/{case.reference}"
    steps = [
        ("assign", {"assign-guardian": guardian.pk}),
        ("actions/acknowledge", {}),
        ("actions/start_investigation", {}),
    ]
    for action, data in steps:
        prefix = action.split("/")[-1]
        data = {**data, f"{prefix}-version": _version(case)}
        flow.ok(guardian_client, "post", f"{base}/{action}/", data)
    message = {"message-body": GUARDIAN_TEXT["message"]}
    flow.ok(guardian_client, "post", f"{base}/messages/", message)
    flow.ok(guardian_client, "post", f"{base}/notes/", {"note-body": GUARDIAN_TEXT["note"]})
    flow.ok(
        guardian_client,
        "post",
        f"{base}/detriment/",
        {"detriment-suffered": "yes", "detriment-note": GUARDIAN_TEXT["detriment"]},
    )
    flow.ok(
        guardian_client,
        "post",
        f"{base}/outcome/",
        {
            "outcome-version": _version(case),
            "outcome-upheld": "upheld",
            "outcome-findings": GUARDIAN_TEXT["findings"],
            "outcome-lessons": GUARDIAN_TEXT["lessons"],
        },
    )
    for name in ("give_feedback", "close"):
        flow.ok(
            guardian_client,
            "post",
            f"{base}/actions/{name}/",
            {
                f"{name}-version": _version(case),
                f"{name}-note": GUARDIAN_TEXT["note"],
                # Written to the reporter (feedback; the outcome summary): never in a log or mail.
                f"{name}-message": GUARDIAN_TEXT[name],
            },
        )
    case.refresh_from_db()
    assert case.status == "closed", case.status


def _texts_of(response) -> list[str]:
    """Every piece of text a response carries: body (unzipped if it is a workbook), headers."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    parts = [body.decode("utf-8", "replace")]
    if body[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            parts += [book.read(n).decode("utf-8", "replace") for n in book.namelist()]
    parts += [f"{k}: {v}" for k, v in response.items()]
    return parts


def _all_rows_in_clear() -> str:
    """Every row of every table, as stored (encrypted fields stay encrypted)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_nothing_identifying_reaches_committees_logs_mail_or_urls(
    settings, caplog, django_capture_on_commit_callbacks
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SPEAKUP_ANONYMOUS_NOTIFY_DELAY = (0, 0)
    settings.SITE_URL = "https://speakup.example"
    cache.clear()
    caplog.set_level(logging.DEBUG)  # the root logger, and so every logger under it
    flow = Flow(django_capture_on_commit_callbacks)

    # Given an organisation, its guardian, lead and committee member, and a reporter
    org = OrganisationFactory(code="RX1", name="North Placement Trust")
    guardian = make_user(Role.GUARDIAN, org, username="gina", email="gina@example.nhs.uk")
    lead = make_user(Role.LEAD_GUARDIAN, org, username="lena", email="lena@example.nhs.uk")
    committee = make_user(Role.COMMITTEE, org, username="colin")
    reporter = make_user(Role.REPORTER, username="rita", email="rita.account@example.nhs.uk")
    reporter_client, guardian_client, lead_client = _client(), _client(), _client()
    committee_client, anonymous_client = _client(), _client()
    reporter_client.force_login(reporter)
    guardian_client.force_login(guardian)
    lead_client.force_login(lead)
    committee_client.force_login(committee)

    # When the three concerns are raised through the pages
    for route in ("open", "confidential"):
        flow.ok(reporter_client, "post", "/raise/", _raise_form(org, route, MARKERS[route]))
    response = flow.ok(
        anonymous_client, "post", "/raise/", _raise_form(org, "anonymous", MARKERS["anonymous"])
    )
    shown = flow.ok(anonymous_client, "get", response["Location"])
    codes = CODE_RE.findall(shown.content.decode())
    assert len(codes) == 1, "the receipt page shows one receipt code"
    code = codes[0]
    cases = {c.route: c for c in Case.objects.select_related("concern")}
    assert set(cases) == {"open", "confidential", "anonymous"}

    # And the anonymous reporter comes back with the code, and both reporters write
    flow.ok(anonymous_client, "post", "/receipt/", {"code": code.lower().replace("-", " ")})
    flow.ok(
        anonymous_client,
        "post",
        "/receipt/concern/reply/",
        {"reply-body": MARKERS["anonymous"]["reply"]},
    )
    for route in ("open", "confidential"):
        flow.ok(
            reporter_client,
            "post",
            f"/my-concerns/{cases[route].reference}/reply/",
            {"reply-body": MARKERS[route]["reply"]},
        )

    # And guardians work each case to closed; the lead reveals the confidential identity
    for case in cases.values():
        flow.ok(guardian_client, "get", f"/cases/{case.reference}/")
        _drive_to_closed(flow, guardian_client, guardian, case)
    # (before the reveal, the confidential reporter is nobody on any guardian page)
    hidden = [
        MARKERS["confidential"]["name"],
        MARKERS["confidential"]["contact"],
        reporter.email,
        reporter.get_full_name(),
    ]
    for client in (guardian_client, lead_client):
        for page in (f"/cases/{cases['confidential'].reference}/", "/cases/", "/notifications/"):
            body = flow.go(client, "get", page).content.decode()
            assert not [h for h in hidden if h in body], page
    revealed = flow.ok(
        guardian_client,
        "post",
        f"/cases/{cases['confidential'].reference}/identity/",
        {"reveal-reason": GUARDIAN_TEXT["reveal"]},
    )
    assert MARKERS["confidential"]["name"] in revealed.content.decode()
    for client, page in ((lead_client, "/cases/"), (lead_client, "/cases/workload/")):
        flow.ok(client, "get", page)
    flow.ok(guardian_client, "get", "/notifications/")

    # And the reporters answer "would you speak up again?" and report detriment
    again = {"again-answer": "maybe", "again-comment": GUARDIAN_TEXT["again"]}
    flow.ok(anonymous_client, "post", "/receipt/concern/speak-up-again/", again)
    flow.ok(
        reporter_client, "post", f"/my-concerns/{cases['open'].reference}/speak-up-again/", again
    )
    flow.ok(
        reporter_client,
        "post",
        f"/my-concerns/{cases['confidential'].reference}/detriment/",
        {"detriment-suffered": "yes", "detriment-note": GUARDIAN_TEXT["detriment"]},
    )
    flow.ok(anonymous_client, "get", "/receipt/concern/")
    flow.ok(reporter_client, "get", "/my-concerns/")

    # And the committee member reads every report, export and reports API answer
    year = financial_year_of(cases["open"].raised_at.date().replace(day=1))
    quarter_month = cases["open"].raised_at.month
    quarter = f"{year}-Q{((quarter_month - 4) % 12) // 3 + 1}"
    committee_pages = [
        "/reports/",
        f"/reports/?period=year&year={year}",
        f"/reports/?period=quarter&quarter={quarter}",
        f"/reports/?org={org.pk}",
        "/reports/export.xlsx",
        "/reports/data-return/",
        f"/reports/data-return.csv?quarter={quarter}",
        "/api/v1/reports/dashboard/",
        f"/api/v1/reports/dashboard/?period=quarter&quarter={quarter}",
        f"/api/v1/reports/data-return/?quarter={quarter}",
    ]
    dashboard = flow.ok(committee_client, "get", "/reports/")
    tables = set(re.findall(r"/reports/export/([\w-]+)\.csv", dashboard.content.decode()))
    assert tables, "the dashboard links its CSV exports"
    committee_pages += [f"/reports/export/{t}.csv" for t in sorted(tables)]
    committee_answers = [(page, flow.go(committee_client, "get", page)) for page in committee_pages]
    lead_answers = [
        (page, flow.go(lead_client, "get", page))
        for page in (f"/reports/data-return.csv?quarter={quarter}", "/reports/export.xlsx")
    ]
    assert all(r.status_code == 200 for _, r in committee_answers[:5]), [
        (p, r.status_code) for p, r in committee_answers
    ]

    # Then the committee sees no marker, receipt code or case reference
    secrets = [m for marks in MARKERS.values() for m in marks.values() if m]
    secrets += list(GUARDIAN_TEXT.values())
    receipt_forms = {code, receipt_normalise(code) or code, code.replace("-", "")}
    for page, response in committee_answers + lead_answers:
        for text in _texts_of(response):
            found = _leaked(text, [*secrets, *receipt_forms, "SU-"])
            assert not found, f"{page} shows {found}"

    # And no log record or email carries a marker, a receipt code, the IP or the user agent
    # (with Redis as the broker no worker runs here: deliver what is queued, as one would)
    for pk in Delivery.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
        deliver(pk)
    assert mail.outbox, "the flow sends some mail (new case, assignment, updates)"
    leaks = [*secrets, *receipt_forms, IP, AGENT]
    for record in caplog.records:
        line = f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        found = _leaked(line, leaks)
        assert not found, f"log record {record.name!r} carries {found}"
    for email in mail.outbox:
        whole = " ".join([email.subject, email.body, *email.to, str(email.message())])
        found = _leaked(whole, leaks)
        assert not found, f"email {email.subject!r} carries {found}"

    # And no receipt code ever appears in a URL, in the database or in a session
    for path, response in flow.responses:
        location = response.get("Location", "")
        assert not any(c in path or c in location for c in receipt_forms), path
        if response.get("Content-Type", "").startswith("text/html"):
            urls = re.findall(r'(?:href|action|src)="([^"]*)"', response.content.decode())
            assert not any(c in u for u in urls for c in receipt_forms), path
    stored = _all_rows_in_clear()
    assert not any(c in stored for c in receipt_forms)
    for session in Session.objects.all():
        assert not any(c in repr(session.get_decoded()) for c in receipt_forms)
    # And the anonymous concern stores no IP address or user agent anywhere
    assert IP not in stored and AGENT not in stored
