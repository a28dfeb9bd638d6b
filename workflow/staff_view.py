"""What staff are shown of a reporter: who they are and when they spoke up.

One place for pages, API and anything else staff read (DESIGN, "Privacy, precisely"):

- *identity*: for confidential and anonymous concerns, anything the reporter did is shown as
  "Reporter", never their account's username or name. The confidential identity is only ever
  in the answer to a reveal with a reason (``services.case_identity_reveal``, which records
  the reason in the case log).
- *time*: an anonymous concern's arrival is shown as its **date** (local time, midnight),
  never the hour or minute. The exact time stays in the database: deadlines, reminders and
  escalations run from it. An hour was not enough: with announcements delayed by minutes,
  "raised between 14:00 and 15:00, announced at 14:07" still narrows the reporter to the few
  people who were free just before 14:07.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

REPORTER = "Reporter"
ANONYMOUS = "anonymous"
OPEN = "open"
# Timestamps written with the raise itself (its event, the first "last activity", its files)
# fall within this of the raise: they are the arrival, and are shown as coarsely.
ARRIVAL_WINDOW = dt.timedelta(minutes=1)


def reporter_is_hidden(route: str) -> bool:
    """Confidential and anonymous concerns never name their reporter to staff."""
    return route != OPEN


def actor_label(*, route: str, actor_role: str, username: str | None) -> str | None:
    """An event's actor as staff see it: "Reporter" for a hidden reporter's own actions."""
    if actor_role == "reporter" and reporter_is_hidden(route):
        return REPORTER
    return username


def author_label(*, route: str, side: str, username: str | None) -> str | None:
    """A message's author as staff see it."""
    if side == "reporter" and reporter_is_hidden(route):
        return REPORTER
    return username


def coarse_day(value: dt.datetime, zone: dt.tzinfo | None = None) -> dt.datetime:
    """Midnight (local time, or ``zone``'s) of the day ``value`` falls on.

    The same as ``make_aware(combine(localtime(value).date(), time()))``, with the current
    zone looked up once (a queue page coarsens three moments a row; each lookup goes through
    an asgiref Local, which was most of a 50-row page's CPU)."""
    if value.utcoffset() is None:
        return dt.datetime.combine(value.date(), dt.time())
    zone = zone or timezone.get_current_timezone()
    return dt.datetime.combine(value.astimezone(zone).date(), dt.time(), tzinfo=zone)


def raised_at_for_staff(
    *, route: str, raised_at: dt.datetime, zone: dt.tzinfo | None = None
) -> dt.datetime:
    return coarse_day(raised_at, zone) if route == ANONYMOUS else raised_at


def moment_for_staff(
    *, route: str, raised_at: dt.datetime, value: Any, zone: dt.tzinfo | None = None
) -> Any:
    """Any other timestamp staff see: coarsened like the arrival when it *is* the arrival
    (the raised event, the first activity, the acknowledgement deadline counted from it),
    so that the exact moment cannot be read back from a neighbouring field."""
    if route != ANONYMOUS or value is None:
        return value
    if abs(value - raised_at) <= ARRIVAL_WINDOW:
        return coarse_day(value, zone)
    return value


def overdue_for_staff(
    *,
    route: str,
    due_kind: str,
    due_at: dt.datetime | None,
    now: dt.datetime | None = None,
    zone: dt.tzinfo | None = None,
) -> bool:
    """Overdue as staff are told it: for an anonymous concern's acknowledgement, from the
    day after its due date, so that the flag turning does not give away the time of day."""
    if due_at is None:
        return False
    now = now or timezone.now()
    shown = due_at_for_staff(route=route, due_kind=due_kind, due_at=due_at, zone=zone)
    if shown is not due_at and shown is not None:
        return now >= shown + dt.timedelta(days=1)
    return due_at < now


def due_at_for_staff(
    *, route: str, due_kind: str, due_at: dt.datetime | None, zone: dt.tzinfo | None = None
) -> dt.datetime | None:
    """The acknowledgement deadline of an anonymous concern is its arrival plus whole working
    days, at the same time of day: staff see its date only."""
    if route == ANONYMOUS and due_kind == "acknowledge" and due_at is not None:
        return coarse_day(due_at, zone)
    return due_at
