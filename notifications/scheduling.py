"""Time-driven notices, worked out from due dates in the database on every beat tick.

Each notice is keyed by (case, kind, due date) in ``DueNotice`` and written in the same
transaction as its case event, so running late, twice, or after a day's outage sends every
reminder, escalation and follow-up exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from concerns.roles import Role
from config import rules
from notifications import selectors, services
from notifications.models import DueNotice, Topic
from notifications.services import Pending
from workflow import timeliness
from workflow.models import Case, EventKind
from workflow.services import notices

logger = logging.getLogger(__name__)

DIGEST_HOUR = 8  # local time; an hourly tick sends it at the first run after this
FOLLOW_UP_MONTHS = (6, 3)  # the later first, so an outage does not ask twice in one day
FOLLOW_UP_LOOKBACK_MONTHS = 12


def _once(*, case: Case, kind: str, due_at: dt.datetime, record: Callable[[], object]) -> bool:
    try:
        with transaction.atomic():
            DueNotice.objects.create(case=case, kind=kind, due_at=due_at)
            record()
    except IntegrityError:
        return False  # another scheduler run got there first
    return True


def _without_notice(cases, kind: str, due_field: str = "due_at"):
    notice = DueNotice.objects.filter(case=OuterRef("pk"), kind=kind, due_at=OuterRef(due_field))
    return cases.exclude(Exists(notice))


def reminders_record(*, now: dt.datetime | None = None) -> int:
    """Remind the assigned guardian (or the organisation's guardians if nobody is assigned)
    when acknowledgement or feedback falls due within the reminder window."""
    now = now or timezone.now()
    horizon = timeliness.add_working_days(now, rules.timeliness().reminder_working_days)
    sent = 0
    for case in _without_notice(
        selectors.cases_due_before(moment=horizon), DueNotice.Kind.REMINDER
    ):
        sent += _once(
            case=case,
            kind=DueNotice.Kind.REMINDER,
            due_at=case.due_at,
            record=lambda c=case: notices.case_due_notice_record(
                case=c, kind=EventKind.REMINDER, due_kind=c.due_kind, due_at=c.due_at
            ),
        )
    return sent


def escalations_record(*, now: dt.datetime | None = None) -> int:
    """Tell the lead guardians about every case past its deadline, once per deadline."""
    now = now or timezone.now()
    sent = 0
    for case in _without_notice(selectors.cases_due_before(moment=now), DueNotice.Kind.ESCALATION):
        sent += _once(
            case=case,
            kind=DueNotice.Kind.ESCALATION,
            due_at=case.due_at,
            record=lambda c=case: notices.case_due_notice_record(
                case=c, kind=EventKind.ESCALATION, due_kind=c.due_kind, due_at=c.due_at
            ),
        )
    return sent


def _follow_up_kind(months: int) -> str:
    return DueNotice.Kind.FOLLOW_UP_6M if months == 6 else DueNotice.Kind.FOLLOW_UP_3M


def follow_ups_record(*, now: dt.datetime | None = None) -> int:
    """3 and 6 months after closure, ask the reporter in their conversation about detriment."""
    now = now or timezone.now()
    oldest = timeliness.add_months(now, -FOLLOW_UP_LOOKBACK_MONTHS)
    asked = 0
    for months in FOLLOW_UP_MONTHS:
        kind = _follow_up_kind(months)
        closed = selectors.cases_closed_before(moment=timeliness.add_months(now, -months))
        for case in closed.filter(closed_at__gt=oldest):
            due_at = timeliness.add_months(case.closed_at, months)
            if DueNotice.objects.filter(case=case, kind=kind, due_at=due_at).exists():
                continue

            def record(c: Case = case, m: int = months) -> None:
                if m == 6:  # a 3-month question now would be stale: mark it superseded
                    earlier = timeliness.add_months(c.closed_at, 3)
                    DueNotice.objects.get_or_create(
                        case=c,
                        kind=DueNotice.Kind.FOLLOW_UP_3M,
                        due_at=earlier,
                        defaults={"sent": False},
                    )
                notices.case_follow_up_ask(case=c, months=m)

            asked += _once(case=case, kind=kind, due_at=due_at, record=record)
    return asked


def digests_plan(*, now: dt.datetime | None = None) -> list[Pending]:
    """Each lead guardian's daily summary (counts only), once per local day."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < DIGEST_HOUR:
        return []
    pending: list[Pending] = []
    leads = get_user_model().objects.filter(groups__name=Role.LEAD_GUARDIAN, is_active=True)
    for lead in leads.distinct():
        if not any(selectors.digest_counts(user=lead, now=now).values()):
            continue
        pending += services.deliveries_plan_for_user(
            key=f"digest:{local.date().isoformat()}:u{lead.pk}", recipient=lead, topic=Topic.DIGEST
        )
    return pending
