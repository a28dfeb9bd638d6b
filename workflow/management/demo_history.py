"""The demo's history moved into the past (manage.py demo).

Each demo case is driven through the real services today; its events are then given
realistic past times and its hash chain re-sealed (the chain hashes each event's time), and
the case's own timestamps, due dates and rows follow their events. Demo data only: nothing
here runs outside ``manage.py demo``.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from concerns.models import Attachment, Concern, ReferenceCounter
from workflow import timeliness
from workflow.events import GENESIS, event_digest
from workflow.models import (
    Case,
    CaseEvent,
    Detriment,
    DueKind,
    EventKind,
    InternalNote,
    Message,
    Outcome,
    Side,
    SpeakUpAgainResponse,
    Status,
)

# How long ago a concern in that state was typically raised (days: low, high).
AGE = {
    "received": (0, 3),
    "acknowledged": (3, 45),
    "investigating": (10, 120),
    "feedback_given": (40, 150),
    "reopened": (120, 400),
    "reopened_investigating": (120, 400),
}
# Typical gap before an event of each kind (hours: low, high).
GAPS = {
    EventKind.ASSIGNED: (1, 30),
    EventKind.TRANSITION: (4, 60),
    EventKind.MESSAGE_TO_REPORTER: (24, 24 * 14),
    EventKind.MESSAGE_FROM_REPORTER: (6, 24 * 5),
    EventKind.NOTE: (12, 24 * 10),
    EventKind.OUTCOME: (24 * 7, 24 * 40),
    EventKind.DETRIMENT: (24, 24 * 20),
    EventKind.SPEAK_UP_AGAIN: (24, 24 * 10),
}


def _raised_at(state: str, rng: random.Random, now: dt.datetime) -> dt.datetime:
    low, high = AGE.get(state, (20, 540))
    moment = now - dt.timedelta(days=rng.uniform(low, high), hours=rng.uniform(0, 10))
    # Most concerns arrive in working hours.
    local = timezone.localtime(moment).replace(
        hour=rng.choice([8, 9, 10, 11, 13, 14, 15, 16, 20, 22])
    )
    return min(local, now - dt.timedelta(hours=rng.uniform(2, 20)))


def spread_in_time(case_id: int, state: str, rng: random.Random, now: dt.datetime) -> None:
    """Give the case's events realistic past times and re-seal its hash chain."""
    events = list(CaseEvent.objects.filter(case_id=case_id).order_by("seq"))
    start = _raised_at(state, rng, now)
    offsets, elapsed = [0.0], 0.0
    for event in events[1:]:
        low, high = GAPS.get(event.kind, (1, 24))
        if event.kind == EventKind.TRANSITION and event.to_state == Status.ACKNOWLEDGED:
            # Usually inside two working days; now and then late, as in real life.
            low, high = (2, 40) if rng.random() < 0.85 else (60, 150)
        if event.kind == EventKind.TRANSITION and event.to_state == Status.CLOSED:
            low, high = 24 * 3, 24 * 20
        elapsed += rng.uniform(low, high)
        offsets.append(elapsed)
    latest = (now - dt.timedelta(hours=1) - start).total_seconds() / 3600
    scale = min(1.0, latest / elapsed) if elapsed > 0 else 1.0
    times = [start + dt.timedelta(hours=o * scale) for o in offsets]
    prev = GENESIS
    for event, moment in zip(events, times, strict=True):
        event.created_at, event.prev_hash = moment, prev
        event.hash = event_digest(event)
        CaseEvent.objects.filter(pk=event.pk).update(
            created_at=moment, prev_hash=prev, hash=event.hash
        )
        prev = event.hash
    _case_times(case_id, events, prev)


def _case_times(case_id: int, events: list[CaseEvent], head: str) -> None:
    """Derive the case's own timestamps (and what is due) from its re-timed events."""
    raised_at = events[0].created_at

    def when(kind: str, to_state: str = "", last: bool = False) -> dt.datetime | None:
        found = [
            e.created_at
            for e in events
            if e.kind == kind and (not to_state or e.to_state == to_state)
        ]
        return (found[-1] if last else found[0]) if found else None

    case = Case.objects.get(pk=case_id)
    acknowledged_at = when(EventKind.TRANSITION, Status.ACKNOWLEDGED)
    reopened_at = when(EventKind.TRANSITION, Status.REOPENED, last=True)
    closed_at = None
    if case.status in {Status.CLOSED, Status.REFERRED, Status.WITHDRAWN}:
        closed_at = when(EventKind.TRANSITION, case.status, last=True)
    ack_due = timeliness.acknowledge_due(raised_at)
    feedback_due = timeliness.feedback_due(acknowledged_at) if acknowledged_at else None
    due_kind, due_at = DueKind.NONE, None
    if case.status == Status.RECEIVED:
        due_kind, due_at = DueKind.ACKNOWLEDGE, ack_due
    elif case.status in {Status.ACKNOWLEDGED, Status.INVESTIGATING} and not case.first_feedback_at:
        due_kind, due_at = DueKind.FEEDBACK, feedback_due
    elif case.status in {Status.REOPENED, Status.INVESTIGATING} and reopened_at:
        due_kind, due_at = DueKind.FEEDBACK, timeliness.feedback_due(reopened_at)
    Case.objects.filter(pk=case_id).update(
        raised_at=raised_at,
        acknowledged_at=acknowledged_at,
        first_feedback_at=when(EventKind.TRANSITION, Status.FEEDBACK_GIVEN),
        closed_at=closed_at,
        reopened_at=reopened_at,
        last_guardian_message_at=when(EventKind.MESSAGE_TO_REPORTER, last=True),
        last_activity_at=events[-1].created_at,
        acknowledge_due_at=ack_due,
        feedback_due_at=feedback_due,
        due_kind=due_kind,
        due_at=due_at,
        log_head=head,
    )
    Concern.objects.filter(pk=case.concern_id).update(raised_at=raised_at)
    Attachment.objects.filter(concern_id=case.concern_id).update(uploaded_at=raised_at)
    _match_rows(case_id, events)


def _match_rows(case_id: int, events: list[CaseEvent]) -> None:
    """Give messages, notes, outcome, detriment and answers the time of their event."""
    times = {
        kind: [e.created_at for e in events if e.kind == kind] for kind in {e.kind for e in events}
    }
    pairs = [
        (Message.objects.filter(case_id=case_id, side=Side.GUARDIAN), "message_to_reporter"),
        (Message.objects.filter(case_id=case_id, side=Side.REPORTER), "message_from_reporter"),
        (InternalNote.objects.filter(case_id=case_id), EventKind.NOTE),
        (Detriment.objects.filter(case_id=case_id), EventKind.DETRIMENT),
    ]
    for queryset, kind in pairs:
        field_name = "recorded_at" if queryset.model is Detriment else "created_at"
        for row_id, moment in zip(
            queryset.order_by("pk").values_list("pk", flat=True), times.get(kind, []), strict=False
        ):
            queryset.model.objects.filter(pk=row_id).update(**{field_name: moment})
    closes = [e.created_at for e in events if e.to_state == Status.CLOSED]
    for row_id, moment in zip(
        Message.objects.filter(case_id=case_id, side=Side.SYSTEM)
        .order_by("pk")
        .values_list("pk", flat=True),
        closes,
        strict=False,
    ):
        Message.objects.filter(pk=row_id).update(created_at=moment)
    if times.get(EventKind.OUTCOME):
        Outcome.objects.filter(case_id=case_id).update(recorded_at=times[EventKind.OUTCOME][-1])
    if times.get(EventKind.SPEAK_UP_AGAIN):
        SpeakUpAgainResponse.objects.filter(case_id=case_id).update(
            answered_at=times[EventKind.SPEAK_UP_AGAIN][-1]
        )


def renumber_by_year() -> None:
    """References follow the year a concern was raised (SU-2025-00017), in order of raising."""
    concerns = list(Concern.objects.order_by("raised_at", "pk").values_list("pk", "raised_at"))
    for pk, _ in concerns:  # clear first: the unique constraint must hold at every step
        Concern.objects.filter(pk=pk).update(reference=f"TMP-{pk}")
        Case.objects.filter(concern_id=pk).update(reference=f"TMP-{pk}")
    counters: dict[int, int] = {}
    for pk, raised_at in concerns:
        year = timezone.localtime(raised_at).year
        counters[year] = counters.get(year, 0) + 1
        reference = f"SU-{year}-{counters[year]:05d}"
        Concern.objects.filter(pk=pk).update(reference=reference)
        Case.objects.filter(concern_id=pk).update(reference=reference)
    for year, last in counters.items():
        ReferenceCounter.objects.update_or_create(year=year, defaults={"last": last})
