"""Steps case services share: the row lock, the version bump, the common checks, and the
detriment answer both a guardian and the reporter record.

Private to workflow/services/: each public service reads as its own steps in order, and
these keep the steps identical everywhere (one lock, one way to refuse a stale form).
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransition

from workflow import policies
from workflow.errors import CaseChanged, CaseNotFound, InvalidInput, NotPermitted
from workflow.events import case_event_record
from workflow.models import Case, Detriment, EventKind, Message, MessageKind, Side
from workflow.policies import Actor

HANDLERS_ONLY = "Only the assigned guardian or a lead guardian can do that."


def lock(case: Case, expected_version: int | None = None) -> Case:
    """Re-read the case under a row lock; refuse if someone changed it since it was shown."""
    try:
        locked: Case = Case.objects.select_for_update().select_related("concern").get(pk=case.pk)
    except Case.DoesNotExist as exc:
        raise CaseNotFound("Case not found.") from exc
    if expected_version is not None and locked.version != expected_version:
        raise CaseChanged()
    return locked


def touch(case: Case, *fields: str) -> Case:
    """Save ``fields`` with a new version and activity time, so an older form goes stale.

    The log head is not among them: ``case_event_record`` moves it with every event."""
    case.version += 1
    case.last_activity_at = timezone.now()
    try:
        case.save(update_fields=["version", "last_activity_at", *fields])
    except ConcurrentTransition as exc:
        raise CaseChanged() from exc
    return case


def require_choice(value: str, choices: type[models.Choices], what: str, field: str = "") -> None:
    if value not in choices.values:
        raise InvalidInput(f"Choose a valid {what}.", field=field)


def require_text(value: str, what: str, field: str = "") -> None:
    if not value or not value.strip():
        raise InvalidInput(f"Enter {what}.", field=field)


def require_handler(actor: Actor, case: Case) -> None:
    """Not visible is not found; visible but not theirs to handle is not permitted."""
    if not policies.may_view_case(actor, case):
        raise CaseNotFound("Case not found.")
    if not policies.may_handle_case(actor, case):
        raise NotPermitted(HANDLERS_ONLY)


def staff(actor: Actor) -> User:
    """The signed-in member of staff the checks above let through (never a receipt holder)."""
    if not isinstance(actor, User):
        raise NotPermitted(HANDLERS_ONLY)
    return actor


def guardian_writes(
    case: Case, actor: User, *, body: str, kind: str = MessageKind.MESSAGE
) -> Message:
    """A message from the guardian's side of the conversation, and when it was last written."""
    message = Message.objects.create(
        case=case, side=Side.GUARDIAN, kind=kind, author=actor, body=body
    )
    case.last_guardian_message_at = message.created_at
    return message


def detriment_add(
    case: Case, actor: Actor, *, role: str, suffered: str, source: str, note: str
) -> Detriment:
    """A detriment answer and its event, which says the answer as the timeline shows it:
    the same whether a guardian records it or the reporter tells us themselves."""
    detriment = Detriment.objects.create(case=case, suffered=suffered, source=source, note=note)
    case_event_record(
        case=case,
        kind=EventKind.DETRIMENT,
        actor=actor,
        actor_role=role,
        note=detriment.get_suffered_display(),
    )
    return detriment
