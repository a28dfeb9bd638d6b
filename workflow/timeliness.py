"""Working-day arithmetic for the timeliness policy (weekends and England's bank holidays).

Days are counted on the local calendar (settings.TIME_ZONE, Europe/London): a concern raised
at 00:30 on a Saturday in summer is a Saturday concern, although it is still Friday in UTC.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools

import holidays
from django.db.models import Q
from django.utils import timezone

from config import rules


@functools.cache
def _bank_holidays(country: str, subdivision: str, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=[year]).keys())


def is_working_day(day: dt.date) -> bool:
    policy = rules.timeliness()
    if day.weekday() >= 5:
        return False
    return day not in _bank_holidays(policy.holiday_country, policy.holiday_subdivision, day.year)


def _at_local(day: dt.date, start: dt.datetime) -> dt.datetime:
    """The same wall-clock time as ``start`` on ``day``, local time (DST-safe)."""
    naive = dt.datetime.combine(day, start.time().replace(tzinfo=None))
    return timezone.make_aware(naive, start.tzinfo) if start.tzinfo else naive


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same time of day, ``days`` working days later (a weekend arrival counts from Monday)."""
    local = timezone.localtime(start) if timezone.is_aware(start) else start
    day, remaining = local.date(), days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return _at_local(day, local)


def add_months(start: dt.datetime, months: int) -> dt.datetime:
    """Calendar months later, clamped to the month's end (31 January + 1 → 28/29 February)."""
    local = timezone.localtime(start) if timezone.is_aware(start) else start
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return _at_local(dt.date(year, month, day), local)


def acknowledge_due(raised_at: dt.datetime) -> dt.datetime:
    return add_working_days(raised_at, rules.timeliness().acknowledge_working_days)


def feedback_due(acknowledged_at: dt.datetime) -> dt.datetime:
    return add_months(acknowledged_at, rules.timeliness().feedback_months)


# Database filters on Case (stored ``due_at``), so queues and sweeps never loop in Python.


def overdue_q(now: dt.datetime | None = None) -> Q:
    return Q(due_at__lt=now or timezone.now())


def due_soon_q(now: dt.datetime | None = None, *, within: dt.timedelta | None = None) -> Q:
    now = now or timezone.now()
    return Q(due_at__gte=now, due_at__lt=now + (within or dt.timedelta(days=3)))
