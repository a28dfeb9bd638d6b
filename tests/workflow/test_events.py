"""The case event log: every change writes its event, chained; tampering is detected."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from concerns.models import Category
from tests.factories import case_in_state, raise_concern
from workflow.events import case_log_verify
from workflow.models import Case, CaseEvent, EventKind
from workflow.policies import ReceiptHolder
from workflow.services import handling, transitions
from workflow.services import reporter as reporter_actions
from workflow.signals import CASE_ROW_FIELDS, case_event_recorded


@pytest.fixture
def case(org, reporter, guardian):
    raised = raise_concern(org, route="confidential", reporter=reporter, reporter_name="Rita")
    return handling.case_assign(case=raised.case, guardian=guardian, actor=guardian)


def _last(case: Case) -> CaseEvent:
    return CaseEvent.objects.filter(case=case).order_by("-seq").first()


# --- every service writes its event ---------------------------------------------------------


def test_raising_writes_the_first_event_by_the_reporter(org, reporter):
    case = raise_concern(org, route="open", reporter=reporter).case
    event = CaseEvent.objects.get(case=case)
    assert (event.seq, event.kind, event.to_state) == (1, EventKind.RAISED, "received")
    assert (event.actor_id, event.actor_role) == (reporter.pk, "reporter")


def test_an_anonymous_concern_records_no_actor(org):
    event = CaseEvent.objects.get(case=raise_concern(org).case)
    assert (event.actor_id, event.actor_role) == (None, "reporter")


ACTIONS = {
    "assign": (
        EventKind.ASSIGNED,
        lambda c, g, r, lead: handling.case_assign(case=c, guardian=lead, actor=lead),
    ),
    "transition": (
        EventKind.TRANSITION,
        lambda c, g, r, lead: transitions.case_acknowledge(case=c, actor=g, note="On it"),
    ),
    "message": (
        EventKind.MESSAGE_TO_REPORTER,
        lambda c, g, r, lead: handling.case_message_send(case=c, actor=g, body="Hello"),
    ),
    "reply": (
        EventKind.MESSAGE_FROM_REPORTER,
        lambda c, g, r, lead: reporter_actions.concern_message_reply(case=c, actor=r, body="Hi"),
    ),
    "note": (
        EventKind.NOTE,
        lambda c, g, r, lead: handling.case_note_add(case=c, actor=g, body="Private"),
    ),
    "outcome": (
        EventKind.OUTCOME,
        lambda c, g, r, lead: handling.case_outcome_record(
            case=c, actor=g, upheld="partly", findings="Partly so"
        ),
    ),
    "detriment": (
        EventKind.DETRIMENT,
        lambda c, g, r, lead: handling.case_detriment_record(case=c, actor=g, suffered="yes"),
    ),
    "reporter_detriment": (
        EventKind.DETRIMENT,
        lambda c, g, r, lead: reporter_actions.concern_detriment_report(
            case=c, actor=r, suffered="no"
        ),
    ),
    "triage": (
        EventKind.TRIAGE,
        lambda c, g, r, lead: handling.case_triage_update(
            case=c,
            actor=g,
            categories=[Category.objects.get(slug="bullying-harassment")],
            standards=[],
            note="Re-categorised",
        ),
    ),
    "reveal": (
        EventKind.IDENTITY_VIEWED,
        lambda c, g, r, lead: handling.case_identity_reveal(case=c, actor=g, reason="Meeting"),
    ),
    "refer": (
        EventKind.REFERRAL,
        lambda c, g, r, lead: transitions.case_refer(
            case=c, actor=g, reason="HR matter", destination="hr"
        ),
    ),
    "withdraw": (
        EventKind.TRANSITION,
        lambda c, g, r, lead: transitions.case_withdraw(case=c, actor=r),
    ),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_service_writes_its_event_and_the_chain_verifies(
    action, case, guardian, reporter, lead, django_capture_on_commit_callbacks
):
    kind, do = ACTIONS[action]
    before = CaseEvent.objects.filter(case=case).count()
    received = []

    def receiver(**kwargs):
        received.append(kwargs)

    case_event_recorded.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            do(case, guardian, reporter, lead)
    finally:
        case_event_recorded.disconnect(receiver)
    event = _last(case)
    assert event.kind == kind
    assert CaseEvent.objects.filter(case=case).count() > before
    assert case_log_verify(case=case) is None
    # the signal carries ids, kinds and the case's plain fields as committed, never content
    assert received and received[-1]["event_id"] == event.pk
    assert set(received[-1]) == {"signal", "sender", "event_id", "case_id", "kind", "case_row"}
    case.refresh_from_db()
    assert received[-1]["case_row"] == {f: getattr(case, f) for f in CASE_ROW_FIELDS}


def test_a_raise_announces_the_case_as_committed_without_reading_it_back(
    org, reporter, django_capture_on_commit_callbacks, django_assert_num_queries
):
    # Given a receiver of case events (the only one: the others' own reads are theirs)
    received = []

    def receiver(**kwargs):
        received.append(kwargs)

    others = case_event_recorded.receivers
    case_event_recorded.receivers = []
    case_event_recorded.sender_receivers_cache.clear()
    case_event_recorded.connect(receiver)
    try:
        # When a concern is raised and its transaction commits
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            raised = raise_concern(org, route="open", reporter=reporter)
        # Then announcing it reads nothing back (the raise built the case it announces)
        announce = callbacks[0]
        with django_assert_num_queries(0):
            announce()
    finally:
        case_event_recorded.receivers = others
        case_event_recorded.sender_receivers_cache.clear()
    committed = Case.objects.filter(pk=raised.case.pk).values(*CASE_ROW_FIELDS).get()
    assert received[0]["kind"] == EventKind.RAISED
    assert received[0]["case_row"] == committed


def test_the_speak_up_again_answer_writes_an_event(org, guardian):
    raised = raise_concern(org)
    case = case_in_state(raised.case, "closed", guardian=guardian)
    holder = ReceiptHolder(concern_id=raised.concern.pk)
    reporter_actions.concern_speak_up_again_answer(case=case, actor=holder, answer="yes")
    event = _last(case)
    assert (event.kind, event.note, event.actor_id) == (EventKind.SPEAK_UP_AGAIN, "Yes", None)


def test_event_notes_are_encrypted_at_rest(case, guardian):
    transitions.case_acknowledge(case=case, actor=guardian, note="Secret words")
    event = _last(case)
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM workflow_caseevent WHERE id = %s", [event.pk])
        (raw,) = cursor.fetchone()
    assert "Secret words" not in raw
    assert event.note == "Secret words"


def test_events_cannot_be_changed_or_deleted_through_the_model(case):
    event = _last(case)
    event.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


# --- tampering in the database is detected ------------------------------------------------


@pytest.fixture
def busy_case(case, guardian):
    transitions.case_acknowledge(case=case, actor=guardian, note="Acknowledged")
    handling.case_message_send(case=case, actor=guardian, body="Hello")
    handling.case_note_add(case=case, actor=guardian, body="Private")
    return case


@pytest.fixture
def bystander(org):
    return raise_concern(org).case


def _verify() -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("verify_case_log", stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_an_untouched_log_verifies(busy_case, bystander):
    output, error = _verify()
    assert error is None
    assert "All 2 case log(s) verify" in output


def _middle(case: Case) -> CaseEvent:
    return CaseEvent.objects.get(case=case, seq=3)


TAMPERING = {
    "edit a note through the ORM": lambda c: CaseEvent.objects.filter(pk=_middle(c).pk).update(
        note="Nothing to see"
    ),
    "edit a kind in SQL": lambda c: _sql(
        "UPDATE workflow_caseevent SET kind = 'note' WHERE id = %s", _middle(c).pk
    ),
    "edit a state in SQL": lambda c: _sql(
        "UPDATE workflow_caseevent SET to_state = 'closed' WHERE id = %s", _middle(c).pk
    ),
    "change the actor": lambda c: _sql(
        "UPDATE workflow_caseevent SET actor_id = NULL WHERE id = %s", _middle(c).pk
    ),
    "garble a note's ciphertext": lambda c: _sql(
        "UPDATE workflow_caseevent SET note = 'gAAAAAgarbage' WHERE id = %s", _middle(c).pk
    ),
    "delete a row in the middle": lambda c: _sql(
        "DELETE FROM workflow_caseevent WHERE id = %s", _middle(c).pk
    ),
    "delete the last row": lambda c: _sql(
        "DELETE FROM workflow_caseevent WHERE id = %s", _last(c).pk
    ),
    "delete the last row with QuerySet.delete": lambda c: CaseEvent.objects.filter(
        pk=_last(c).pk
    ).delete(),
}


def _sql(statement: str, pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, [pk])


@pytest.mark.parametrize("how", list(TAMPERING))
def test_tampering_is_detected_by_verify_case_log(busy_case, bystander, how):
    # Given an intact log for two cases
    assert _verify()[1] is None
    # When one row of one case is changed or removed behind the application's back
    TAMPERING[how](busy_case)
    # Then the command names that case (only), and exits non-zero
    output, error = _verify()
    assert error is not None
    assert error.returncode == 1
    assert f"BROKEN {busy_case.reference}" in output
    assert bystander.reference not in output


def test_the_command_exits_non_zero_from_the_shell_too(busy_case):
    _sql("DELETE FROM workflow_caseevent WHERE id = %s", _last(busy_case).pk)
    with pytest.raises(CommandError) as exc:
        call_command("verify_case_log", busy_case.reference, stdout=StringIO())
    assert exc.value.returncode == 1


def test_the_report_shows_no_note_text(busy_case):
    CaseEvent.objects.filter(pk=_middle(busy_case).pk).update(note="Rita said something")
    output, _ = _verify()
    assert "Rita" not in output
    assert "Acknowledged" not in output
