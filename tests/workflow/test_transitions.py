"""Every transition: allowed, refused by its condition, refused by permission — for each role.

The case under test is a confidential concern raised by ``reporter`` at ``org`` and assigned to
``guardian``. A person who may not see it gets CaseNotFound, exactly as for a case that does
not exist; a person who may see it but not do this gets NotPermitted.
"""

from __future__ import annotations

import pytest
from django_fsm import can_proceed

from concerns.roles import Role, principal_forget
from tests.factories import case_in_state, make_user, raise_concern
from workflow import selectors
from workflow.errors import CaseChanged, CaseNotFound, InvalidInput, NotPermitted, TransitionRefused
from workflow.models import Case, CaseEvent, EventKind, Message, MessageKind, Status
from workflow.policies import ReceiptHolder
from workflow.services import handling, transitions
from workflow.services import reporter as reporter_actions

ACTORS = [
    "reporter",
    "other_reporter",
    "other_receipt_holder",
    "unassigned_guardian",
    "assigned_guardian",
    "lead_guardian",
    "outsider_guardian",
    "committee",
    "admin",
]
HANDLERS = {"assigned_guardian", "lead_guardian"}
VISIBLE_TO = {"reporter", "unassigned_guardian", "assigned_guardian", "lead_guardian"}


@pytest.fixture
def people(org, reporter, guardian, other_guardian, lead, outsider_guardian, committee):
    other_anonymous = raise_concern(org).concern
    return {
        "reporter": reporter,
        "other_reporter": make_user(Role.REPORTER, username="ravi"),
        "other_receipt_holder": ReceiptHolder(concern_id=other_anonymous.pk),
        "unassigned_guardian": other_guardian,
        "assigned_guardian": guardian,
        "lead_guardian": lead,
        "outsider_guardian": outsider_guardian,
        "committee": committee,
        "admin": make_user(Role.ADMIN, org, username="adele", is_superuser=True),
    }


@pytest.fixture
def new_case(org, reporter):
    return raise_concern(
        org, route="confidential", reporter=reporter, reporter_name="Rita Reporter"
    ).case


def _at(case: Case, state: str, guardian) -> Case:
    return case_in_state(case, state, guardian=guardian)


def _prepare(name: str, case: Case, guardian) -> tuple[Case, dict]:
    """The case in the source state of ``name`` with its condition met, and the call's extras."""
    if name == "acknowledge":
        return handling.case_assign(case=case, guardian=guardian, actor=guardian), {}
    if name == "start_investigation":
        return _at(case, "acknowledged", guardian), {}
    if name == "give_feedback":
        return _at(case, "investigating", guardian), {"message": "Here is our feedback."}
    if name == "close":
        case = _at(case, "feedback_given", guardian)
        handling.case_outcome_record(case=case, actor=guardian, upheld="upheld", findings="Found.")
        return case, {}
    if name == "refer":
        return _at(case, "investigating", guardian), {
            "destination": "safeguarding",
            "reason": "A safeguarding matter.",
        }
    if name == "reopen":
        return _at(case, "closed", guardian), {"reason": "The reporter has new information."}
    if name == "withdraw":
        return _at(case, "acknowledged", guardian), {"reason": "I no longer wish to pursue it."}
    raise AssertionError(name)


def _snapshot(case: Case) -> tuple:
    fresh = Case.objects.get(pk=case.pk)
    return fresh.status, fresh.version, CaseEvent.objects.filter(case=case).count()


FUNCTIONS = {
    "acknowledge": transitions.case_acknowledge,
    "start_investigation": transitions.case_investigate,
    "give_feedback": transitions.case_give_feedback,
    "close": transitions.case_close,
    "refer": transitions.case_refer,
    "reopen": transitions.case_reopen,
    "withdraw": transitions.case_withdraw,
}
GUARDIAN_TRANSITIONS = ["acknowledge", "start_investigation", "give_feedback", "close", "refer"]
TARGET = {
    "acknowledge": Status.ACKNOWLEDGED,
    "start_investigation": Status.INVESTIGATING,
    "give_feedback": Status.FEEDBACK_GIVEN,
    "close": Status.CLOSED,
    "refer": Status.REFERRED,
    "reopen": Status.REOPENED,
    "withdraw": Status.WITHDRAWN,
}


def _expected(name: str, who: str) -> type[Exception] | None:
    if who not in VISIBLE_TO:
        return CaseNotFound
    if name == "withdraw":
        return None if who == "reporter" else NotPermitted
    return None if who in HANDLERS else NotPermitted


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("name", [*GUARDIAN_TRANSITIONS, "reopen", "withdraw"])
def test_transition_by_role(name, who, new_case, people, guardian):
    # Given the case ready for the transition, its condition met
    case, extra = _prepare(name, new_case, guardian)
    before = _snapshot(case)
    expected = _expected(name, who)
    # When this person attempts it
    if expected is None:
        result = FUNCTIONS[name](case=case, actor=people[who], **extra)
        # Then it happens, and leaves an event naming the transition
        assert result.status == TARGET[name]
        event = CaseEvent.objects.filter(case=case, kind=EventKind.TRANSITION).last()
        assert (event.from_state, event.to_state) == (before[0], TARGET[name])
        assert Case.objects.get(pk=case.pk).version == before[1] + 1
    else:
        with pytest.raises(expected):
            FUNCTIONS[name](case=case, actor=people[who], **extra)
        # Then nothing about the case changed
        assert _snapshot(case) == before


# --- refused by condition ---------------------------------------------------------------------


def test_acknowledge_needs_an_assigned_guardian(new_case, lead):
    with pytest.raises(TransitionRefused, match="Assign a guardian"):
        transitions.case_acknowledge(case=new_case, actor=lead)
    assert Case.objects.get(pk=new_case.pk).status == Status.RECEIVED


def test_give_feedback_needs_the_feedback_written_to_the_reporter(new_case, guardian):
    case = _at(new_case, "investigating", guardian)
    for blank in ("", "   \n "):
        with pytest.raises(TransitionRefused, match="Write your feedback to the reporter"):
            transitions.case_give_feedback(case=case, actor=guardian, message=blank)
    assert Case.objects.get(pk=case.pk).status == Status.INVESTIGATING
    assert not case.messages.filter(kind=MessageKind.FEEDBACK).exists()


def test_an_earlier_message_to_the_reporter_is_not_feedback(new_case, guardian):
    # Behaviour changed on purpose (issue 17): any earlier message used to count as feedback.
    case = _at(new_case, "investigating", guardian)
    handling.case_message_send(case=case, actor=guardian, body="Can you tell us the ward?")
    # The condition itself: the earlier message does not meet it
    assert not can_proceed(Case.objects.get(pk=case.pk).give_feedback)
    with pytest.raises(TransitionRefused, match="Write your feedback"):
        transitions.case_give_feedback(case=case, actor=guardian, message="")


def test_feedback_is_a_message_to_the_reporter_and_an_event_to_deliver(new_case, guardian):
    case = _at(new_case, "investigating", guardian)

    case = transitions.case_give_feedback(case=case, actor=guardian, message="We changed the rota.")

    feedback = case.messages.get(kind=MessageKind.FEEDBACK)
    assert (feedback.side, feedback.body, feedback.author) == (
        "guardian",
        "We changed the rota.",
        guardian,
    )
    assert case.status == Status.FEEDBACK_GIVEN
    assert Case.objects.get(pk=case.pk).last_guardian_message_at == feedback.created_at
    kinds = list(case.events.order_by("-seq").values_list("kind", flat=True)[:2])
    assert kinds == [EventKind.MESSAGE_TO_REPORTER, EventKind.TRANSITION]


@pytest.mark.parametrize("state", ["received", "closed"])
def test_a_refused_feedback_leaves_no_message_behind(new_case, guardian, other_guardian, state):
    case = _at(new_case, state, guardian)
    before = Message.objects.filter(case=case).count()
    for who in (guardian, other_guardian):
        with pytest.raises((TransitionRefused, NotPermitted)):
            transitions.case_give_feedback(case=case, actor=who, message="x")
    with pytest.raises(CaseChanged):
        transitions.case_give_feedback(case=case, actor=guardian, message="x", expected_version=1)
    assert Message.objects.filter(case=case).count() == before


def test_closing_can_share_an_outcome_summary_with_the_reporter(new_case, guardian):
    case = _at(new_case, "feedback_given", guardian)
    handling.case_outcome_record(case=case, actor=guardian, upheld="upheld", findings="Found.")

    case = transitions.case_close(
        case=case, actor=guardian, message="Upheld: the rota now has two nurses."
    )

    outcome = case.messages.get(kind=MessageKind.OUTCOME)
    assert outcome.body == "Upheld: the rota now has two nurses."
    assert case.status == Status.CLOSED


def test_closing_without_a_summary_writes_nothing_but_the_question(new_case, guardian):
    case = _at(new_case, "closed", guardian)
    kinds = set(case.messages.values_list("kind", flat=True))
    assert MessageKind.OUTCOME not in kinds
    assert MessageKind.SPEAK_UP_AGAIN in kinds


@pytest.mark.parametrize("shared", [True, False])
def test_a_referral_records_whether_the_name_went_with_it(new_case, guardian, shared):
    case = _at(new_case, "investigating", guardian)

    case = transitions.case_refer(
        case=case,
        actor=guardian,
        reason="HR matter",
        destination="hr",
        name_shared=shared,
        message="HR will write to you within a week.",
    )

    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.status, fresh.referral_name_shared) == (Status.REFERRED, shared)
    assert (
        case.messages.get(kind=MessageKind.REFERRAL).body == "HR will write to you within a week."
    )


def test_an_anonymous_reporters_name_cannot_go_with_a_referral(org, guardian):
    case = _at(raise_concern(org).case, "investigating", guardian)
    with pytest.raises(InvalidInput, match="anonymous"):
        transitions.case_refer(
            case=case, actor=guardian, reason="HR", destination="hr", name_shared=True
        )
    assert Case.objects.get(pk=case.pk).status == Status.INVESTIGATING


def test_speak_up_again_is_asked_once_even_after_a_reopen(new_case, guardian):
    case = _at(new_case, "closed", guardian)
    case = transitions.case_reopen(case=case, actor=guardian, reason="New facts")
    case = transitions.case_investigate(case=case, actor=guardian)
    case = transitions.case_give_feedback(case=case, actor=guardian, message="Again.")
    case = transitions.case_close(case=case, actor=guardian)
    assert case.messages.filter(kind=MessageKind.SPEAK_UP_AGAIN).count() == 1


def test_close_needs_a_recorded_outcome(new_case, guardian):
    case = _at(new_case, "feedback_given", guardian)
    with pytest.raises(TransitionRefused, match="Record the outcome"):
        transitions.case_close(case=case, actor=guardian)


def test_reopen_needs_a_reason(new_case, guardian):
    case = _at(new_case, "closed", guardian)
    for blank in ["", "   "]:
        with pytest.raises(TransitionRefused, match="reason"):
            transitions.case_reopen(case=case, actor=guardian, reason=blank)
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED


@pytest.mark.parametrize(
    ("destination", "note"),
    [("", "Safeguarding matter"), ("safeguarding", ""), ("the-moon", "Somewhere else")],
)
def test_refer_needs_a_known_destination_and_a_reason(new_case, guardian, destination, note):
    case = _at(new_case, "acknowledged", guardian)
    with pytest.raises(TransitionRefused, match="referred to"):
        transitions.case_refer(case=case, actor=guardian, reason=note, destination=destination)
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.status, fresh.referral_destination) == (Status.ACKNOWLEDGED, "")


def test_refer_records_where_it_went(new_case, guardian):
    case = _at(new_case, "acknowledged", guardian)
    case = transitions.case_refer(case=case, actor=guardian, reason="GMC", destination="regulator")
    assert case.status == Status.REFERRED
    assert case.closed_at is not None
    assert (
        CaseEvent.objects.filter(case=case, kind=EventKind.REFERRAL)
        .get()
        .note.startswith("A regulator")
    )


@pytest.mark.parametrize("state", ["closed", "received"])
def test_a_transition_from_the_wrong_state_is_refused(new_case, guardian, state):
    case = _at(new_case, state, guardian) if state != "received" else new_case
    with pytest.raises(TransitionRefused):
        transitions.case_give_feedback(case=case, actor=guardian, message="Our feedback.")


@pytest.mark.parametrize("state", ["closed", "received"])
def test_the_reporter_cannot_withdraw_a_closed_case_but_can_a_new_one(
    new_case, guardian, reporter, state
):
    case = _at(new_case, state, guardian) if state != "received" else new_case
    if state == "closed":
        with pytest.raises(TransitionRefused):
            transitions.case_withdraw(case=case, actor=reporter)
    else:
        case = transitions.case_withdraw(case=case, actor=reporter)
        assert case.status == Status.WITHDRAWN


def test_an_unknown_action_is_invalid_input(new_case, guardian):
    with pytest.raises(InvalidInput):
        transitions.case_transition_named(case=new_case, name="delete", actor=guardian)


def test_every_transition_of_the_case_has_one_function_by_its_name():
    # The page's actions/<name>/ and the API's endpoint choose through BY_NAME alone.
    declared = {t.name for t in Case._meta.get_field("status").get_all_transitions(Case)}
    assert set(transitions.BY_NAME) == declared
    assert {n: t.function for n, t in transitions.BY_NAME.items()} == FUNCTIONS


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_by_name_passes_each_transition_only_what_it_takes(new_case, guardian, reporter, name):
    # Given everything a form could carry, for a transition that takes less
    case, extra = _prepare(name, new_case, guardian)
    given = transitions.TransitionInput(
        note=extra.get("reason", "A note."),
        message=extra.get("message", "For the reporter."),
        destination=extra.get("destination", "hr"),
    )
    actor = reporter if name == "withdraw" else guardian
    # When it is chosen by name, Then it happens with what it needs
    result = transitions.case_transition_named(case=case, name=name, actor=actor, given=given)
    assert result.status == TARGET[name]


def test_a_reopened_case_goes_back_to_investigation_and_can_close_again(new_case, guardian):
    case = _at(new_case, "closed", guardian)
    case = transitions.case_reopen(case=case, actor=guardian, reason="New facts")
    case = transitions.case_investigate(case=case, actor=guardian)
    # feedback given before reopening does not count again
    assert not can_proceed(Case.objects.get(pk=case.pk).give_feedback)
    with pytest.raises(TransitionRefused):
        transitions.case_give_feedback(case=case, actor=guardian, message=" ")
    case = transitions.case_give_feedback(case=case, actor=guardian, message="We looked again.")
    case = transitions.case_close(case=case, actor=guardian)
    assert case.status == Status.CLOSED


# --- anonymous reporters act through their receipt -----------------------------------------


def test_the_receipt_holder_may_withdraw_their_anonymous_concern(org, guardian):
    raised = raise_concern(org)
    holder = ReceiptHolder(concern_id=raised.concern.pk)
    with pytest.raises(NotPermitted):
        transitions.case_acknowledge(case=raised.case, actor=holder)
    case = transitions.case_withdraw(case=raised.case, actor=holder)
    assert case.status == Status.WITHDRAWN
    event = CaseEvent.objects.filter(case=case, kind=EventKind.TRANSITION).get()
    assert (event.actor_id, event.actor_role) == (None, "reporter")


def test_a_signed_in_user_is_never_the_reporter_of_an_anonymous_concern(org, reporter):
    # Even the person who typed it: an anonymous concern keeps no link to any account.
    raised = raise_concern(org, reporter=reporter)
    assert raised.concern.reporter_id is None
    with pytest.raises(CaseNotFound):
        transitions.case_withdraw(case=raised.case, actor=reporter)


# --- what each person is offered ----------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "offered"),
    [
        # give_feedback is offered with its text box (behaviour changed in issue 17)
        ("assigned_guardian", ["start_investigation", "give_feedback", "refer"]),
        ("lead_guardian", ["start_investigation", "give_feedback", "refer"]),
        ("unassigned_guardian", []),
        ("reporter", ["withdraw"]),
        ("outsider_guardian", []),
        ("committee", []),
    ],
)
def test_available_transitions_are_those_permitted_now(new_case, guardian, people, who, offered):
    case = _at(new_case, "acknowledged", guardian)
    assert transitions.case_available_transitions(case=case, actor=people[who]) == offered


# --- not yours looks exactly like not there -----------------------------------------------


@pytest.mark.parametrize("who", ["outsider_guardian", "committee", "admin", "other_reporter"])
def test_a_case_you_may_not_see_is_not_found_like_a_missing_one(new_case, people, who):
    with pytest.raises(CaseNotFound) as missing:
        selectors.case_get_for_user(user=people["assigned_guardian"], reference="SU-1999-00001")
    with pytest.raises(CaseNotFound) as hidden:
        selectors.case_get_for_user(user=people[who], reference=new_case.reference)
    assert str(hidden.value) == str(missing.value)
    assert not selectors.case_list_for_user(user=people[who]).filter(pk=new_case.pk).exists()


# --- the other case actions: who may --------------------------------------------------------


def test_a_guardian_may_take_an_unassigned_case_but_not_give_it_to_someone_else(
    new_case, other_guardian, guardian
):
    with pytest.raises(NotPermitted):
        handling.case_assign(case=new_case, guardian=guardian, actor=other_guardian)
    case = handling.case_assign(case=new_case, guardian=other_guardian, actor=other_guardian)
    assert case.assigned_guardian == other_guardian
    # once taken, another guardian cannot take it over
    with pytest.raises(NotPermitted):
        handling.case_assign(case=case, guardian=guardian, actor=guardian)


def test_a_lead_reassigns_but_only_to_a_guardian_of_the_organisation(
    new_case, guardian, other_guardian, lead, outsider_guardian, committee
):
    case = handling.case_assign(case=new_case, guardian=guardian, actor=lead)
    case = handling.case_assign(case=case, guardian=other_guardian, actor=lead)
    assert case.assigned_guardian == other_guardian
    assert "→" in CaseEvent.objects.filter(case=case, kind=EventKind.ASSIGNED).last().note
    for wrong in (outsider_guardian, committee):
        with pytest.raises(NotPermitted):
            handling.case_assign(case=case, guardian=wrong, actor=lead)


def test_an_outsider_cannot_assign(new_case, outsider_guardian):
    with pytest.raises(CaseNotFound):
        handling.case_assign(case=new_case, guardian=outsider_guardian, actor=outsider_guardian)


@pytest.mark.parametrize("who", ACTORS)
def test_any_guardian_who_sees_the_case_may_add_a_note(new_case, guardian, people, who):
    # A colleague covering leave may add to the notes; nobody else may, or learn it exists.
    case = handling.case_assign(case=new_case, guardian=guardian, actor=guardian)
    if who in VISIBLE_TO - {"reporter"}:
        note = handling.case_note_add(case=case, actor=people[who], body="Private")
        assert note.case_id == case.pk
    else:
        with pytest.raises(CaseNotFound):
            handling.case_note_add(case=case, actor=people[who], body="Private")


@pytest.mark.parametrize("who", ACTORS)
def test_only_handlers_message_record_outcomes_and_reveal(new_case, guardian, people, who):
    case = handling.case_assign(case=new_case, guardian=guardian, actor=guardian)
    actions = [
        lambda a: handling.case_message_send(case=case, actor=a, body="Hello"),
        lambda a: handling.case_outcome_record(case=case, actor=a, upheld="upheld", findings="F"),
        lambda a: handling.case_detriment_record(case=case, actor=a, suffered="no"),
        lambda a: handling.case_identity_reveal(case=case, actor=a, reason="To meet them"),
    ]
    for action in actions:
        if who in HANDLERS:
            action(people[who])
        else:
            expected = NotPermitted if who in VISIBLE_TO - {"reporter"} else CaseNotFound
            with pytest.raises(expected):
                action(people[who])


def test_revealing_an_identity_needs_a_reason_and_a_confidential_route(
    org, new_case, guardian, reporter
):
    case = handling.case_assign(case=new_case, guardian=guardian, actor=guardian)
    with pytest.raises(TransitionRefused):
        handling.case_identity_reveal(case=case, actor=guardian, reason="  ")
    revealed = handling.case_identity_reveal(case=case, actor=guardian, reason="Meeting")
    assert revealed.name == "Rita Reporter"
    event = CaseEvent.objects.filter(case=case, kind=EventKind.IDENTITY_VIEWED).get()
    assert (event.actor_id, event.note) == (guardian.pk, "Meeting")
    anonymous = raise_concern(org).case
    anonymous = handling.case_assign(case=anonymous, guardian=guardian, actor=guardian)
    with pytest.raises(NotPermitted):
        handling.case_identity_reveal(case=anonymous, actor=guardian, reason="Curious")


def test_an_outcome_cannot_be_recorded_on_a_withdrawn_case(new_case, guardian, reporter):
    case = handling.case_assign(case=new_case, guardian=guardian, actor=guardian)
    transitions.case_withdraw(case=case, actor=reporter)
    with pytest.raises(TransitionRefused):
        handling.case_outcome_record(case=case, actor=guardian, upheld="upheld", findings="F")


def test_the_reporter_answers_in_their_conversation_and_strangers_cannot(
    new_case, reporter, people
):
    reporter_actions.concern_message_reply(case=new_case, actor=reporter, body="More detail")
    for who in ["other_reporter", "other_receipt_holder", "assigned_guardian", "committee"]:
        with pytest.raises(CaseNotFound):
            reporter_actions.concern_message_reply(case=new_case, actor=people[who], body="x")


def test_speak_up_again_is_asked_on_closing_and_answered_once_closed(new_case, guardian, reporter):
    with pytest.raises(TransitionRefused):
        reporter_actions.concern_speak_up_again_answer(case=new_case, actor=reporter, answer="yes")
    case = _at(new_case, "closed", guardian)
    assert case.messages.filter(kind="speak_up_again").count() == 1
    response = reporter_actions.concern_speak_up_again_answer(
        case=case, actor=reporter, answer="maybe", comment="It took long"
    )
    assert response.get_answer_display() == "Maybe"
    with pytest.raises(InvalidInput):
        reporter_actions.concern_speak_up_again_answer(case=case, actor=reporter, answer="perhaps")


# --- a guardian who raises a concern is its reporter, not its handler ----------------------


def test_a_guardian_cannot_see_or_handle_their_own_concern(org, guardian, other_guardian, lead):
    # Given a guardian raises a confidential concern about their own organisation
    own = raise_concern(org, route="confidential", reporter=guardian).case
    # Then it is not in their queue, and they cannot open, take or move it
    assert not selectors.case_list_for_user(user=guardian).filter(pk=own.pk).exists()
    with pytest.raises(CaseNotFound):
        selectors.case_get_for_user(user=guardian, reference=own.reference)
    with pytest.raises(CaseNotFound):
        handling.case_assign(case=own, guardian=guardian, actor=guardian)
    # But as its reporter they may still withdraw it, and colleagues handle it as usual
    assert selectors.case_list_for_user(user=other_guardian).filter(pk=own.pk).exists()
    with pytest.raises(NotPermitted):
        handling.case_assign(case=own, guardian=guardian, actor=lead)
    handling.case_assign(case=own, guardian=other_guardian, actor=lead)
    case = transitions.case_withdraw(case=own, actor=guardian)
    assert case.status == Status.WITHDRAWN


# --- a case stays with its guardian after they leave its organisation -----------------------


def test_a_guardian_who_leaves_the_organisation_keeps_only_their_assigned_case(org, guardian, lead):
    # Given a case assigned to a guardian, and another case of the same organisation
    theirs = handling.case_assign(case=raise_concern(org).case, guardian=guardian, actor=lead)
    other = raise_concern(org).case
    assert {c.pk for c in selectors.case_list_for_user(user=guardian)} == {theirs.pk, other.pk}

    # When they stop serving the organisation
    guardian.memberships.all().delete()
    principal_forget(guardian)  # a new request would not have it cached

    # Then their queue holds their own case and nothing else of the organisation's
    assert [c.pk for c in selectors.case_list_for_user(user=guardian)] == [theirs.pk]
    assert selectors.case_get_for_user(user=guardian, reference=theirs.reference).pk == theirs.pk
    with pytest.raises(CaseNotFound):
        selectors.case_get_for_user(user=guardian, reference=other.reference)


# --- the order of the checks: state, then who may, then conditions --------------------------


def test_someone_who_may_not_act_is_not_told_what_the_case_is_missing(
    new_case, guardian, other_guardian
):
    # Given a case ready to close but for its outcome, which only its handlers may close
    case = _at(new_case, "feedback_given", guardian)
    # When a colleague who may see it, but not move it, tries
    with pytest.raises(NotPermitted) as refused:
        transitions.case_close(case=case, actor=other_guardian)
    # Then they learn only that it is not theirs, not that an outcome is missing
    assert "outcome" not in str(refused.value).lower()
    with pytest.raises(TransitionRefused, match="Record the outcome"):
        transitions.case_close(case=case, actor=guardian)
