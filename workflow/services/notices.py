"""What the clock brings, recorded by the system: reminders and escalations as work falls
due, and the detriment follow-ups asked months after a case closes.

Called by notifications/ on its schedule. Additive: none bumps the case version, so a
reminder never makes a guardian's open form stale.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from workflow.errors import TransitionRefused
from workflow.events import case_event_record
from workflow.models import Case, CaseEvent, DueKind, EventKind, Message, MessageKind, Side, Status
from workflow.services._steps import lock

FOLLOW_UP_QUESTION = (
    "It is {months} months since your concern was closed. Have you suffered any detriment "
    "(being treated worse) because you spoke up? You can answer here; your guardian will "
    "record it and can help."
)


@transaction.atomic
def case_due_notice_record(
    *, case: Case, kind: str, due_kind: str, due_at: dt.datetime
) -> CaseEvent:
    """Record that a reminder (due soon) or escalation (overdue) went out."""
    if kind not in {EventKind.REMINDER, EventKind.ESCALATION}:
        raise ValueError(f"not a due notice: {kind}")
    case = lock(case)
    label = DueKind(due_kind).label if due_kind else "Nothing"
    return case_event_record(
        case=case,
        kind=kind,
        actor=None,
        actor_role="system",
        note=f"{label} due {timezone.localtime(due_at):%Y-%m-%d %H:%M}",
    )


@transaction.atomic
def case_follow_up_ask(*, case: Case, months: int) -> Message:
    """Ask the reporter, in their conversation, whether speaking up has harmed them."""
    case = lock(case)
    if case.status != Status.CLOSED:
        raise TransitionRefused("Follow-ups are asked only on closed cases.")
    message = Message.objects.create(
        case=case,
        side=Side.SYSTEM,
        kind=MessageKind.DETRIMENT_FOLLOW_UP,
        body=FOLLOW_UP_QUESTION.format(months=months),
    )
    case_event_record(
        case=case,
        kind=EventKind.FOLLOW_UP,
        actor=None,
        actor_role="system",
        note=f"{months}-month detriment follow-up asked",
    )
    return message
