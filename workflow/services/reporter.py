"""What the reporter does on their own concern, signed in or holding the receipt: reply,
tell us about detriment, answer "would you speak up again?", choose email updates.

Anyone who is not the concern's reporter is told it does not exist. (Withdrawing is a
transition: ``transitions.case_withdraw``.)
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from concerns.models import Concern, Route
from workflow import policies, selectors
from workflow.errors import CaseNotFound, InvalidInput, TransitionRefused
from workflow.events import case_event_record
from workflow.models import (
    Case,
    Detriment,
    DetrimentAnswer,
    EventKind,
    Message,
    MessageKind,
    Side,
    SpeakUpAgain,
    SpeakUpAgainResponse,
    Status,
)
from workflow.policies import Actor
from workflow.services._steps import detriment_add, lock, require_choice, require_text, touch
from workflow.services.files import case_files_record
from workflow.services.raising import NewAttachment


def _reporters(case: Case, actor: Actor) -> Case:
    """The case locked, if ``actor`` is its reporter; not found otherwise."""
    case = lock(case)
    if not policies.is_reporter_of(actor, case):
        raise CaseNotFound("Concern not found.")
    return case


@transaction.atomic
def concern_message_reply(
    *, case: Case, actor: Actor, body: str, files: Sequence[NewAttachment] = ()
) -> Message:
    """The reporter answers in their conversation (an anonymous one as nobody in particular),
    with any files, which the guardians of the case may download."""
    require_text(body, "a message", "body")
    case = _reporters(case, actor)
    author = actor if isinstance(actor, User) else None
    message = Message.objects.create(case=case, side=Side.REPORTER, author=author, body=body)
    case_event_record(
        case=case, kind=EventKind.MESSAGE_FROM_REPORTER, actor=actor, actor_role="reporter"
    )
    case_files_record(case=case, actor=actor, files=files, message=message)
    touch(case)
    return message


@transaction.atomic
def concern_detriment_report(
    *, case: Case, actor: Actor, suffered: str, note: str = ""
) -> Detriment:
    """The reporter tells us whether speaking up has harmed them: an answer to the latest
    unanswered follow-up question, or something they chose to tell us."""
    require_choice(suffered, DetrimentAnswer, "answer about detriment", "suffered")
    case = _reporters(case, actor)
    source = selectors.concern_detriment_source(case=case)
    detriment = detriment_add(
        case, actor, role="reporter", suffered=suffered, source=source, note=note
    )
    touch(case)
    return detriment


@transaction.atomic
def concern_speak_up_again_answer(
    *, case: Case, actor: Actor, answer: str, comment: str = ""
) -> SpeakUpAgainResponse:
    """Asked when the case closes; answered once it has (a later answer replaces it)."""
    require_choice(answer, SpeakUpAgain, "answer", "answer")
    case = _reporters(case, actor)
    if (
        case.status != Status.CLOSED
        and not case.messages.filter(kind=MessageKind.SPEAK_UP_AGAIN).exists()
    ):
        raise TransitionRefused("We ask this once your concern has been closed.")
    response, _ = SpeakUpAgainResponse.objects.update_or_create(
        case=case, defaults={"answer": answer, "comment": comment, "answered_at": timezone.now()}
    )
    case_event_record(
        case=case,
        kind=EventKind.SPEAK_UP_AGAIN,
        actor=actor,
        actor_role="reporter",
        note=response.get_answer_display(),
    )
    touch(case)
    return response


@transaction.atomic
def concern_email_updates_set(*, case: Case, actor: Actor, email_updates: bool) -> Concern:
    """The reporter turns email updates on or off (the email says they can).

    A delivery preference of the reporter's, not a change to the case: no case event, no new
    version (a guardian's open form stays valid). Anonymous concerns never have email.
    """
    case = _reporters(case, actor)
    if case.route == Route.ANONYMOUS:
        raise InvalidInput("An anonymous concern has no email updates.")
    concern: Concern = case.concern
    concern.email_updates = email_updates
    concern.save(update_fields=["email_updates"])
    return concern
