"""Who hears about a case event: the staff it concerns and, when they opted in, the reporter."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from concerns.roles import Role
from notifications.models import Topic
from workflow.models import Case, CaseEvent, EventKind, Status
from workflow.selectors import guardians_for_case

REPORTER_TRANSITIONS = {
    Status.ACKNOWLEDGED,
    Status.FEEDBACK_GIVEN,
    Status.CLOSED,
    Status.REFERRED,
    Status.REOPENED,
}


def _staff(users: Iterable[User | None]) -> list[User]:
    return [u for u in users if u is not None and u.is_active]


def _leads_for(case: Case) -> list[User]:
    return list(
        get_user_model()
        .objects.filter(
            groups__name=Role.LEAD_GUARDIAN,
            memberships__organisation_id=case.organisation_id,
            is_active=True,
        )
        .distinct()
    )


def _handler_or_guardians(case: Case) -> list[User]:
    # No query when nobody is assigned (a null key is not fetched).
    if case.assigned_guardian is not None:
        return [case.assigned_guardian]
    return list(guardians_for_case(case=case))


def staff_recipients(event: CaseEvent, case: Case) -> tuple[str, list[User]]:
    """The topic of this event's staff notice and the active staff it goes to."""
    topic, users = _candidates(event, case)
    return topic, _staff(users)


def _candidates(event: CaseEvent, case: Case) -> tuple[str, list[User]]:
    kind = event.kind
    if kind == EventKind.RAISED:
        return Topic.NEW_CASE, list(guardians_for_case(case=case))
    if kind == EventKind.ASSIGNED and case.assigned_guardian is not None:
        return Topic.ASSIGNED, [case.assigned_guardian]
    if kind == EventKind.MESSAGE_FROM_REPORTER:
        return Topic.REPORTER_REPLY, _handler_or_guardians(case)
    if kind == EventKind.REMINDER:
        return Topic.REMINDER, _handler_or_guardians(case)
    if kind == EventKind.ESCALATION:
        return Topic.ESCALATION, _leads_for(case)
    return "", []


def tells_reporter(event: CaseEvent) -> bool:
    if event.kind in {EventKind.MESSAGE_TO_REPORTER, EventKind.FOLLOW_UP}:
        return True
    return event.kind == EventKind.TRANSITION and event.to_state in REPORTER_TRANSITIONS


def reporter_email_address(case: Case) -> str:
    """The address an open or confidential reporter opted in to, or ''. Anonymous: never."""
    concern = case.concern
    if concern.is_anonymous or not concern.email_updates or concern.reporter is None:
        return ""
    candidates: tuple[str, str] = (concern.reporter.email, concern.reporter_contact.strip())
    for candidate in candidates:
        try:
            validate_email(candidate)
        except ValidationError:
            continue
        return candidate
    return ""
