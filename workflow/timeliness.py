"""Working-day arithmetic for the timeliness policy (weekends and England's bank holidays)."""

from __future__ import annotations

import calendar
import datetime as dt
import functools

import holidays

from config import policies


@functools.cache
def _bank_holidays(country: str, subdivision: str, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=[year]).keys())


def is_working_day(day: dt.date) -> bool:
    policy = policies.timeliness()
    if day.weekday() >= 5:
        return False
    return day not in _bank_holidays(policy.holiday_country, policy.holiday_subdivision, day.year)


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same time of day, ``days`` working days later (a weekend arrival counts from Monday)."""
    moment = start
    remaining = days
    while remaining > 0:
        moment += dt.timedelta(days=1)
        if is_working_day(moment.date()):
            remaining -= 1
    return moment


def add_months(start: dt.datetime, months: int) -> dt.datetime:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def acknowledge_due(raised_at: dt.datetime) -> dt.datetime:
    return add_working_days(raised_at, policies.timeliness().acknowledge_working_days)


def feedback_due(acknowledged_at: dt.datetime) -> dt.datetime:
    return add_months(acknowledged_at, policies.timeliness().feedback_months)
