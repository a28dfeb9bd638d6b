"""Where a concern stands, in plain words, for the reporter's own page.

A reporter should never have to decode a status: each state says what has happened, what
happens next and by when, and the guardian's feedback, outcome summary or referral is lifted
out of the conversation so it cannot be missed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from concerns.models import Route
from workflow.models import Case, Message, MessageKind, Status


@dataclass(frozen=True)
class Standing:
    heading: str
    says: list[str] = field(default_factory=list)
    feedback: Message | None = None  # the latest feedback written with give_feedback
    outcome: Message | None = None  # the outcome summary written when closing
    referral: Message | None = None  # what the guardian told them when referring


def _day(moment: dt.datetime | None) -> str:
    return f"{timezone.localtime(moment):%-d %B %Y}" if moment else ""


def _latest(conversation: Sequence[Message], kind: str) -> Message | None:
    found = [m for m in conversation if m.kind == kind]
    return found[-1] if found else None


def _feedback_by(case: Case) -> str:
    due = case.feedback_due_at if case.status != Status.REOPENED else case.due_at
    return f"You should get feedback by {_day(due)}." if due else ""


def _referred(case: Case) -> list[str]:
    where = case.get_referral_destination_display() or "another team"
    says = [f"Your concern has been passed to {where}, who are better placed to deal with it."]
    if case.route == Route.ANONYMOUS:
        says.append("Nobody knows your name, so it did not go with your concern.")
    elif case.referral_name_shared:
        says.append("Your name went with your concern, as you agreed with the guardian.")
    else:
        says.append("Your name was not passed on with it.")
    return says


def concern_standing(*, case: Case, conversation: Sequence[Message]) -> Standing:
    feedback = _latest(conversation, MessageKind.FEEDBACK)
    outcome = _latest(conversation, MessageKind.OUTCOME)
    referral = _latest(conversation, MessageKind.REFERRAL)
    status = case.status
    if status == Status.RECEIVED:
        who = (
            "A guardian has been given your concern."
            if case.assigned_guardian_id
            else "We have your concern. A guardian will pick it up."
        )
        return Standing(
            "Waiting to be acknowledged",
            [who, f"They will acknowledge it by {_day(case.acknowledge_due_at)}."],
        )
    if status == Status.ACKNOWLEDGED:
        return Standing(
            "Acknowledged",
            ["A guardian has acknowledged your concern and will look into it.", _feedback_by(case)],
        )
    if status == Status.INVESTIGATING:
        return Standing(
            "Being looked into",
            [
                "A guardian is looking into your concern. They may ask you questions here.",
                _feedback_by(case),
            ],
        )
    if status == Status.FEEDBACK_GIVEN:
        return Standing(
            "Feedback given",
            [
                "The guardian has given you feedback, shown below. "
                "You can reply if you have questions. They will close your concern next."
            ],
            feedback=feedback,
        )
    if status == Status.CLOSED:
        return Standing(
            "Closed",
            [
                f"Your concern was closed on {_day(case.closed_at)}.",
                "If something changes, write here: the guardian can reopen it.",
            ],
            feedback=feedback,
            outcome=outcome,
        )
    if status == Status.REFERRED:
        return Standing("Passed to another team", _referred(case), referral=referral)
    if status == Status.WITHDRAWN:
        return Standing(
            "Withdrawn",
            [
                f"You withdrew this concern on {_day(case.closed_at)}. "
                "Nothing more will be done about it."
            ],
        )
    return Standing(  # reopened
        "Reopened",
        [
            "Your concern has been reopened and a guardian is looking into it again.",
            _feedback_by(case),
        ],
    )
