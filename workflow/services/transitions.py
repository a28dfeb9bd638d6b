"""One function per transition of the case (workflow.models.Case), each with the arguments
that transition needs; ``BY_NAME`` is the one place a transition is chosen by its name.

Every transition takes the same steps in the same order (``_ready``, then its own work,
``_move``, ``_done``): the state first, then who may, and only then the conditions, so that
someone who may not act learns nothing about the case's progress from the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django_fsm import can_proceed

from concerns.models import Route
from workflow import policies
from workflow.errors import CaseNotFound, InvalidInput, NotPermitted, TransitionRefused
from workflow.events import case_event_record
from workflow.models import Case, EventKind, Message, MessageKind, Side
from workflow.policies import Actor
from workflow.services._steps import HANDLERS_ONLY, guardian_writes, lock, staff, touch

REFUSALS = {
    "acknowledge": "Assign a guardian before acknowledging.",
    "start_investigation": "Assign a guardian before starting the investigation.",
    "give_feedback": "Write your feedback to the reporter.",
    "close": "Record the outcome before closing.",
    "refer": "Choose where the concern is referred to and give a reason.",
    "withdraw": "This concern can no longer be withdrawn.",
    "reopen": "Give a reason for reopening.",
}
# What a transition may change on the case (saved with the new version).
_FIELDS = (
    *("status", "acknowledged_at", "first_feedback_at", "closed_at", "reopened_at"),
    *("due_kind", "due_at", "feedback_due_at", "referral_destination", "referral_reason"),
    *("referral_name_shared", "reopen_reason", "last_guardian_message_at"),
)
SPEAK_UP_AGAIN_QUESTION = (
    "Your concern has been closed. Given your experience, would you speak up again? "
    "Your answer helps us make speaking up safer."
)


# --- the steps every transition takes -----------------------------------------------------


def _ready(
    case: Case,
    name: str,
    actor: Actor,
    expected_version: int | None,
    *,
    wrong_state: str = "",
    not_permitted: str = HANDLERS_ONLY,
) -> Case:
    """The case locked, visible to ``actor``, in a state ``name`` leaves, and theirs to move."""
    case = lock(case, expected_version)
    if not (policies.may_view_case(actor, case) or policies.is_reporter_of(actor, case)):
        raise CaseNotFound("Case not found.")
    method = getattr(case, name)
    if not can_proceed(method, check_conditions=False):
        raise TransitionRefused(
            wrong_state
            or f"This case is {case.get_status_display().lower()}: that action is not available."
        )
    if not method._django_fsm.has_transition_perm(case, case.status, actor):
        raise NotPermitted(not_permitted)
    return case


def _move(case: Case, name: str, actor: Actor, *, note: str, role: str = "guardian") -> None:
    """Check the transition's conditions (refusing with its reason), take it, record it."""
    method = getattr(case, name)
    if not can_proceed(method):
        raise TransitionRefused(REFUSALS[name])
    from_state = case.status
    method()
    case_event_record(
        case=case,
        kind=EventKind.TRANSITION,
        actor=actor,
        actor_role=role,
        from_state=from_state,
        to_state=case.status,
        note=note,
    )


def _told(case: Case, actor: Actor, message: Message | None) -> None:
    """The event that delivers what the guardian wrote with the move (if they wrote)."""
    if message is not None:
        case_event_record(
            case=case, kind=EventKind.MESSAGE_TO_REPORTER, actor=actor, actor_role="guardian"
        )


def _write(case: Case, actor: Actor, kind: str, message: str) -> Message | None:
    """Written before the conditions are checked (feedback's condition is this message);
    a refusal after it rolls it back with everything else."""
    if not message.strip():
        return None
    return guardian_writes(case, staff(actor), body=message, kind=kind)


# --- the transitions ----------------------------------------------------------------------


@transaction.atomic
def case_acknowledge(
    *, case: Case, actor: Actor, note: str = "", expected_version: int | None = None
) -> Case:
    case = _ready(case, "acknowledge", actor, expected_version)
    _move(case, "acknowledge", actor, note=note)
    return touch(case, *_FIELDS)


@transaction.atomic
def case_investigate(
    *, case: Case, actor: Actor, note: str = "", expected_version: int | None = None
) -> Case:
    case = _ready(case, "start_investigation", actor, expected_version)
    _move(case, "start_investigation", actor, note=note)
    return touch(case, *_FIELDS)


@transaction.atomic
def case_give_feedback(
    *,
    case: Case,
    actor: Actor,
    message: str,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """Feedback is a message to the reporter of its own kind; ``note`` stays with staff."""
    case = _ready(case, "give_feedback", actor, expected_version)
    if not message.strip():
        raise TransitionRefused(REFUSALS["give_feedback"])
    written = _write(case, actor, MessageKind.FEEDBACK, message)
    _move(case, "give_feedback", actor, note=note)
    _told(case, actor, written)
    return touch(case, *_FIELDS)


@transaction.atomic
def case_close(
    *,
    case: Case,
    actor: Actor,
    message: str = "",
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """``message`` is an optional outcome summary for the reporter. Closing asks them once
    whether they would speak up again (closing again after a reopen does not ask again)."""
    case = _ready(case, "close", actor, expected_version)
    written = _write(case, actor, MessageKind.OUTCOME, message)
    _move(case, "close", actor, note=note)
    _told(case, actor, written)
    if not case.messages.filter(kind=MessageKind.SPEAK_UP_AGAIN).exists():
        Message.objects.create(
            case=case,
            side=Side.SYSTEM,
            kind=MessageKind.SPEAK_UP_AGAIN,
            body=SPEAK_UP_AGAIN_QUESTION,
        )
    return touch(case, *_FIELDS)


@transaction.atomic
def case_refer(
    *,
    case: Case,
    actor: Actor,
    destination: str,
    reason: str,
    name_shared: bool = False,
    message: str = "",
    expected_version: int | None = None,
) -> Case:
    """Refer the concern elsewhere. The reporter is told where, whether their name went
    with it (never an anonymous reporter's) and, in ``message``, what to expect."""
    case = _ready(case, "refer", actor, expected_version)
    if name_shared and case.route == Route.ANONYMOUS:
        raise InvalidInput(
            "An anonymous reporter's name is not known: it cannot be passed on.",
            field="name_shared",
        )
    case.referral_destination, case.referral_reason = destination, reason
    case.referral_name_shared = name_shared
    written = _write(case, actor, MessageKind.REFERRAL, message)
    _move(case, "refer", actor, note=reason)
    case_event_record(
        case=case,
        kind=EventKind.REFERRAL,
        actor=actor,
        actor_role="guardian",
        note=case.get_referral_destination_display(),
    )
    _told(case, actor, written)
    return touch(case, *_FIELDS)


@transaction.atomic
def case_reopen(
    *, case: Case, actor: Actor, reason: str, expected_version: int | None = None
) -> Case:
    case = _ready(case, "reopen", actor, expected_version)
    if case.content_erased_at is not None:
        raise TransitionRefused(
            "This case's content was erased under the retention rule: it cannot be reopened. "
            "Raise a new concern instead."
        )
    case.reopen_reason = reason
    _move(case, "reopen", actor, note=reason)
    return touch(case, *_FIELDS)


@transaction.atomic
def case_withdraw(
    *, case: Case, actor: Actor, reason: str = "", expected_version: int | None = None
) -> Case:
    """The reporter's own step (signed in, or holding the receipt); the reason is optional."""
    case = _ready(
        case,
        "withdraw",
        actor,
        expected_version,
        wrong_state=REFUSALS["withdraw"],
        not_permitted="Only the reporter can withdraw a concern.",
    )
    _move(case, "withdraw", actor, note=reason, role="reporter")
    return touch(case, *_FIELDS)


# --- choosing a transition by its name (the page's actions/<name>/, the API's endpoint) -----


@dataclass(frozen=True)
class TransitionInput:
    """Everything a form or a request body may carry for any transition. Each transition
    reads only its own (``Transition.takes``); ``note`` is the reason where one is needed."""

    note: str = ""
    message: str = ""
    destination: str = ""
    name_shared: bool = False
    expected_version: int | None = None


@dataclass(frozen=True)
class Transition:
    function: Callable[..., Case]
    # The function's keyword argument -> the TransitionInput field it is given.
    takes: Mapping[str, str]

    def run(self, *, case: Case, actor: Actor, given: TransitionInput) -> Case:
        chosen: dict[str, Any] = {kw: getattr(given, f) for kw, f in self.takes.items()}
        return self.function(
            case=case, actor=actor, expected_version=given.expected_version, **chosen
        )


_NOTE = {"note": "note"}
_TO_REPORTER = {"message": "message", "note": "note"}
# In the order they are offered.
BY_NAME: Mapping[str, Transition] = {
    "acknowledge": Transition(case_acknowledge, _NOTE),
    "start_investigation": Transition(case_investigate, _NOTE),
    "give_feedback": Transition(case_give_feedback, _TO_REPORTER),
    "close": Transition(case_close, _TO_REPORTER),
    "refer": Transition(
        case_refer,
        {"destination": "destination", "reason": "note", "name_shared": "name_shared"}
        | {"message": "message"},
    ),
    "withdraw": Transition(case_withdraw, {"reason": "note"}),
    "reopen": Transition(case_reopen, {"reason": "note"}),
}


def case_transition_named(
    *, case: Case, name: str, actor: Actor, given: TransitionInput | None = None
) -> Case:
    """The transition called ``name``, with what the form or request gave."""
    transition = BY_NAME.get(name)
    if transition is None:
        raise InvalidInput(f"There is no action called '{name}'.")
    return transition.run(case=case, actor=actor, given=given or TransitionInput())


def case_available_transitions(*, case: Case, actor: Actor) -> list[str]:
    """The actions this person could take right now (conditions met and permitted)."""
    names = []
    for name in BY_NAME:
        if name == "reopen" and case.content_erased_at is not None:
            continue  # nothing left to reopen (workflow.retention)
        method = getattr(case, name)
        # These ask for their reason or text in the same form, so offer them regardless.
        check_conditions = name not in {"refer", "reopen", "give_feedback"}
        if can_proceed(method, check_conditions=check_conditions) and (
            method._django_fsm.has_transition_perm(case, case.status, actor)
        ):
            names.append(name)
    return names
