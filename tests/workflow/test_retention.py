"""The retention rule: content erased a set time after a case ends; the record kept."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.test import Client
from django.utils import timezone

from concerns.models import Attachment, Concern
from config.rules import RetentionPolicy
from notifications import tasks
from notifications.models import Delivery
from notifications.schedule import BEAT_SCHEDULE
from notifications.services import retention_sweep
from reports.periods import financial_year, financial_year_of, month_of
from reports.selectors import ReportScope, report_figures
from reports.services import rollups_rebuild
from tests.factories import case_in_state, raise_concern
from workflow.events import case_log_verify
from workflow.models import Case, CaseEvent, InternalNote, Message, Outcome
from workflow.policies import ReceiptHolder
from workflow.services import handling, raising, transitions

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - dt.timedelta(days=365 * 6 + 60)  # ended over six years ago
LAST_YEAR = timezone.now() - dt.timedelta(days=365)


def _ended(case: Case, when: dt.datetime) -> Case:
    """Move a case, raised and ended, back to ``when`` (as if time had passed)."""
    Case.objects.filter(pk=case.pk).update(raised_at=when, closed_at=when)
    Concern.objects.filter(pk=case.concern_id).update(raised_at=when)
    rollups_rebuild()
    case.refresh_from_db()
    return case


@pytest.fixture
def closed_case(org, reporter, guardian):
    """A confidential concern with a file, a conversation, a note and an outcome, closed."""
    raised = raise_concern(
        org,
        route="confidential",
        reporter=reporter,
        reporter_name="Rita Patel",
        reporter_contact="rita@example.org",
        outcome_hoped="A registrar on every night shift.",
        attachments=[raising.NewAttachment("rota.pdf", "application/pdf", b"%PDF-1.7 rota")],
    )
    case = case_in_state(raised.case, "closed", guardian=guardian)
    handling.case_note_add(case=case, actor=guardian, body="Spoke to the rota lead, Dr Jones.")
    return _ended(case, LONG_AGO)


def _figures(org, when: dt.datetime):
    scope = ReportScope((org,), financial_year(financial_year_of(month_of(when))))
    return report_figures(scope=scope)


def test_the_content_of_a_case_that_ended_long_ago_is_erased(closed_case, guardian):
    case = closed_case

    assert retention_sweep() == 1

    case.refresh_from_db()
    concern = Concern.objects.get(pk=case.concern_id)
    assert (concern.description, concern.outcome_hoped) == ("", "")
    assert concern.reporter_id is None and concern.receipt_hash is None  # confidential
    assert (concern.reporter_name, concern.reporter_contact, concern.email_updates) == (
        "",
        "",
        False,
    )
    assert not Attachment.objects.filter(concern=concern).exists()
    assert not Message.objects.filter(case=case).exists()
    assert not InternalNote.objects.filter(case=case).exists()
    outcome = Outcome.objects.get(case=case)
    assert (outcome.upheld, outcome.findings, outcome.actions, outcome.lessons) == (
        "upheld",
        "",
        "",
        "",
    )
    events = list(CaseEvent.objects.filter(case=case).order_by("seq"))
    assert all(e.note == "" for e in events[:-1])
    assert events[-1].kind == "content_erased" and events[-1].actor_id is None
    assert case.content_erased_at is not None
    # the log still verifies, and the erasure names the head it replaced
    assert case_log_verify(case=case) is None
    assert "Log head before:" in events[-1].note


def test_what_is_kept_leaves_every_governance_figure_as_it_was(closed_case, org):
    before = _figures(org, LONG_AGO)

    retention_sweep()
    rollups_rebuild()  # recomputed from the erased sources, not only kept from before

    after = _figures(org, LONG_AGO)
    assert after == before
    assert after.n("total") == 1


def test_a_referred_case_loses_its_reasons_and_notes_too(org, guardian):
    case = handling.case_assign(case=raise_concern(org).case, guardian=guardian, actor=guardian)
    case = transitions.case_refer(
        case=case,
        actor=guardian,
        reason="To HR: the ward manager, Mr Smith, is named.",
        destination="hr",
    )
    case = _ended(case, LONG_AGO)

    assert retention_sweep() == 1

    case.refresh_from_db()
    assert (case.status, case.referral_destination, case.referral_reason) == ("referred", "hr", "")
    assert all(e.note == "" for e in case.events.exclude(kind="content_erased"))


def test_open_and_recently_ended_cases_are_left_alone(org, guardian, reporter):
    still_open = raise_concern(org, route="open", reporter=reporter).case
    Case.objects.filter(pk=still_open.pk).update(raised_at=LONG_AGO)
    recent = _ended(case_in_state(raise_concern(org).case, "closed", guardian=guardian), LAST_YEAR)

    assert retention_sweep() == 0

    for case in (still_open, recent):
        case.refresh_from_db()
        assert case.content_erased_at is None
        assert Concern.objects.get(pk=case.concern_id).description


def test_an_erased_concern_opens_for_no_one(org, reporter):
    mine = raise_concern(org, route="open", reporter=reporter)
    anonymous = raise_concern(org)
    transitions.case_withdraw(case=mine.case, actor=reporter)
    holder_of = ReceiptHolder(concern_id=anonymous.concern.pk)
    transitions.case_withdraw(case=anonymous.case, actor=holder_of)
    _ended(Case.objects.get(pk=mine.case.pk), LONG_AGO)
    _ended(Case.objects.get(pk=anonymous.case.pk), LONG_AGO)

    assert retention_sweep() == 2

    client = Client()
    client.force_login(reporter)
    assert mine.case.reference not in client.get("/my-concerns/").content.decode()
    assert client.get(f"/my-concerns/{mine.case.reference}/").status_code == 404
    assert Concern.objects.get(pk=anonymous.concern.pk).receipt_hash.startswith("erased-")
    holder = Client()
    response = holder.post("/receipt/", {"code": anonymous.receipt_code})
    assert response.status_code == 200  # the form again: the code opens nothing now
    assert holder.get("/receipt/concern/").status_code == 302


def test_the_sweep_runs_once_a_day_and_erases_once(closed_case):
    entry = next(e for e in BEAT_SCHEDULE.values() if e["task"] == "notifications.retention")
    assert entry["schedule"].hour == {3}

    assert tasks.retention.delay().get() == 1
    assert tasks.retention.delay().get() == 0
    assert CaseEvent.objects.filter(case=closed_case, kind="content_erased").count() == 1


def test_deliveries_to_the_reporter_go_with_the_content(closed_case, reporter):
    sent_to_reporter = Delivery.objects.filter(case=closed_case, to_reporter=True)
    Delivery.objects.create(
        key="test-reporter-delivery",
        case=closed_case,
        recipient=reporter,
        channel="email",
        topic="message",
        to_reporter=True,
    )
    assert sent_to_reporter.exists()

    retention_sweep()

    assert not sent_to_reporter.exists()


def test_a_log_that_does_not_verify_is_not_laundered(closed_case, caplog):
    CaseEvent.objects.filter(case=closed_case, seq=2).update(to_state="closed")  # tampered

    with caplog.at_level(logging.ERROR, logger="workflow.retention"):
        assert retention_sweep() == 0

    assert Concern.objects.get(pk=closed_case.concern_id).description
    assert closed_case.reference in caplog.text
    assert "Rita" not in caplog.text and "registrar" not in caplog.text


def test_keeping_content_for_ever_erases_nothing(closed_case, settings):
    settings.SPEAKUP_RETENTION = RetentionPolicy(months_after_end=None)

    assert retention_sweep() == 0


def test_a_guardian_sees_that_the_content_was_erased(closed_case, guardian):
    retention_sweep()
    client = Client()
    client.force_login(guardian)

    page = client.get(f"/cases/{closed_case.reference}/").content.decode()

    assert 'id="content-erased"' in page
    assert "Dr Jones" not in page and "Rita Patel" not in page


def test_without_beat_the_tick_command_applies_the_rule(closed_case):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("notifications_tick", stdout=out)

    assert "erased 1" in out.getvalue()
    closed_case.refresh_from_db()
    assert closed_case.content_erased_at is not None


def test_an_erased_case_cannot_be_reopened(closed_case, guardian):
    from workflow.errors import TransitionRefused

    assert "reopen" in transitions.case_available_transitions(case=closed_case, actor=guardian)
    retention_sweep()
    case = Case.objects.get(pk=closed_case.pk)

    assert "reopen" not in transitions.case_available_transitions(case=case, actor=guardian)
    with pytest.raises(TransitionRefused, match="retention rule"):
        transitions.case_reopen(case=case, actor=guardian, reason="New information came to light.")
    case.refresh_from_db()
    assert case.status == "closed"
