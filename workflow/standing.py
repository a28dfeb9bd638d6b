"""Where a concern stands, in plain words, for the reporter's own page.

A reporter should never have to decode a status: each state says what has happened, what
happens next and by when, and the guardian's feedback, outcome summary or referral is lifted
out of the conversation so it cannot be missed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
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


def _received(case: Case) -> list[str]:
    who = (
        "A guardian has been given your concern."
        if case.assigned_guardian_id
        else "We have your concern. A guardian will pick it up."
    )
    return [who, f"They will acknowledge it by {_day(case.acknowledge_due_at)}."]


# Each state: its heading, and what it says (from the case) in plain words.
_SAYS: dict[str, tuple[str, Callable[[Case], list[str]]]] = {
    Status.RECEIVED: ("Waiting to be acknowledged", _received),
    Status.ACKNOWLEDGED: (
        "Acknowledged",
        lambda case: [
            "A guardian has acknowledged your concern and will look into it.",
            _feedback_by(case),
        ],
    ),
    Status.INVESTIGATING: (
        "Being looked into",
        lambda case: [
            "A guardian is looking into your concern. They may ask you questions here.",
            _feedback_by(case),
        ],
    ),
    Status.FEEDBACK_GIVEN: (
        "Feedback given",
        lambda case: [
            "The guardian has given you feedback, shown below. "
            "You can reply if you have questions. They will close your concern next."
        ],
    ),
    Status.CLOSED: (
        "Closed",
        lambda case: [
            f"Your concern was closed on {_day(case.closed_at)}.",
            "If something changes, write here: the guardian can reopen it.",
        ],
    ),
    Status.REFERRED: ("Passed to another team", _referred),
    Status.WITHDRAWN: (
        "Withdrawn",
        lambda case: [
            f"You withdrew this concern on {_day(case.closed_at)}. "
            "Nothing more will be done about it."
        ],
    ),
    Status.REOPENED: (
        "Reopened",
        lambda case: [
            "Your concern has been reopened and a guardian is looking into it again.",
            _feedback_by(case),
        ],
    ),
}


def concern_standing(*, case: Case, conversation: Sequence[Message]) -> Standing:
    """The state's heading and words, with the messages that state lifts out: feedback
    (once given, and still after closing), the outcome summary, the referral."""
    heading, says = _SAYS[case.status]
    status = case.status
    shows_feedback = status in {Status.FEEDBACK_GIVEN, Status.CLOSED}
    return Standing(
        heading,
        says(case),
        feedback=_latest(conversation, MessageKind.FEEDBACK) if shows_feedback else None,
        outcome=_latest(conversation, MessageKind.OUTCOME) if status == Status.CLOSED else None,
        referral=(
            _latest(conversation, MessageKind.REFERRAL) if status == Status.REFERRED else None
        ),
    )
