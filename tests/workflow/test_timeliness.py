"""When is a case due, and which cases are overdue: working days, bank holidays, months."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.factories import case_in_state, raise_concern
from workflow import selectors, timeliness
from workflow.models import Case, DueKind
from workflow.selectors import QueueFilters
from workflow.services import transitions

LONDON = ZoneInfo("Europe/London")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


# --- acknowledge: 2 working days ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "due", "why"),
    [
        (local(2026, 11, 24, 10), local(2026, 11, 26, 10), "Tuesday -> Thursday"),
        (local(2026, 11, 27, 15), local(2026, 12, 1, 15), "Friday -> Tuesday over a weekend"),
        (local(2026, 11, 28, 11), local(2026, 12, 1, 11), "Saturday counts from Monday"),
        (local(2026, 11, 29, 23, 50), local(2026, 12, 1, 23, 50), "Sunday night"),
        # Good Friday 3 April and Easter Monday 6 April 2026 are bank holidays.
        (local(2026, 4, 2, 10), local(2026, 4, 8, 10), "Thursday before Easter"),
        (local(2026, 4, 3, 10), local(2026, 4, 8, 10), "raised on Good Friday"),
        # Christmas Friday 25, Boxing Day Saturday 26 observed on Monday 28 December 2026.
        (local(2026, 12, 23, 9), local(2026, 12, 29, 9), "Wednesday before Christmas"),
        (local(2026, 12, 24, 9), local(2026, 12, 30, 9), "Christmas Eve"),
        # 2027: Christmas and Boxing Day both at a weekend, observed Monday 27 and Tuesday 28.
        (local(2027, 12, 24, 9), local(2027, 12, 30, 9), "Friday before Christmas 2027"),
        (local(2026, 12, 31, 16), local(2027, 1, 5, 16), "New Year's Eve -> over 1 January"),
    ],
)
def test_acknowledgement_is_due_two_working_days_later(raised, due, why):
    assert timeliness.acknowledge_due(raised) == due, why


def test_working_days_are_counted_on_the_london_calendar_not_utc():
    # Given a concern raised at 00:30 on a Saturday in summer (still Friday 23:30 in UTC)
    raised_utc = dt.datetime(2026, 6, 5, 23, 30, tzinfo=dt.UTC)
    assert raised_utc.astimezone(LONDON).strftime("%A") == "Saturday"
    # Then it counts from Monday, as a Saturday concern: due Tuesday 00:30 London time
    assert timeliness.acknowledge_due(raised_utc) == local(2026, 6, 9, 0, 30)


def test_the_due_time_keeps_the_wall_clock_across_a_clock_change():
    # Friday 27 March 2026 10:00 GMT; clocks go forward on Sunday 29 March.
    due = timeliness.acknowledge_due(local(2026, 3, 27, 10))
    assert due == local(2026, 3, 31, 10)
    assert due.utcoffset() == dt.timedelta(hours=1)


def test_the_acknowledgement_window_is_configurable(settings):
    settings.SPEAKUP_TIMELINESS = replace(settings.SPEAKUP_TIMELINESS, acknowledge_working_days=7)
    assert timeliness.acknowledge_due(local(2026, 12, 21, 9)) == local(2027, 1, 4, 9)


def test_bank_holidays_are_not_working_days():
    assert not timeliness.is_working_day(dt.date(2026, 8, 31))  # late summer bank holiday
    assert not timeliness.is_working_day(dt.date(2026, 11, 28))  # Saturday
    assert timeliness.is_working_day(dt.date(2026, 11, 30))  # St Andrew's Day: Scotland only


# --- feedback: 3 months after acknowledgement -----------------------------------------------


@pytest.mark.parametrize(
    ("acknowledged", "due"),
    [
        (local(2026, 1, 15, 9), local(2026, 4, 15, 9)),
        (local(2026, 11, 30, 9), local(2027, 2, 28, 9)),  # clamped to the month's end
        (local(2027, 11, 30, 9), local(2028, 2, 29, 9)),  # a leap year
        (local(2026, 8, 31, 9), local(2026, 11, 30, 9)),
        (local(2026, 12, 1, 9), local(2027, 3, 1, 9)),  # over the year end
    ],
)
def test_feedback_is_due_three_calendar_months_after_acknowledgement(acknowledged, due):
    assert timeliness.feedback_due(acknowledged) == due


def test_month_end_is_taken_on_the_london_calendar():
    # 1 June 00:30 BST is still 31 May in UTC; three months from 1 June is 1 September.
    acknowledged = dt.datetime(2026, 5, 31, 23, 30, tzinfo=dt.UTC)
    assert timeliness.feedback_due(acknowledged) == local(2026, 9, 1, 0, 30)


# --- stored on the case ---------------------------------------------------------------------


def test_a_new_case_is_due_for_acknowledgement(org):
    case = raise_concern(org).case
    case.refresh_from_db()
    assert case.due_kind == DueKind.ACKNOWLEDGE
    assert case.due_at == case.acknowledge_due_at == timeliness.acknowledge_due(case.raised_at)


def test_acknowledging_starts_the_feedback_clock(org, guardian):
    case = case_in_state(raise_concern(org).case, "acknowledged", guardian=guardian)
    assert case.due_kind == DueKind.FEEDBACK
    assert case.feedback_due_at == timeliness.feedback_due(case.acknowledged_at)
    assert case.due_at == case.feedback_due_at


def test_feedback_stops_the_clock_and_reopening_restarts_it(org, guardian):
    case = case_in_state(raise_concern(org).case, "closed", guardian=guardian)
    assert (case.due_kind, case.due_at) == (DueKind.NONE, None)
    case = transitions.case_reopen(case=case, actor=guardian, reason="New facts")
    assert case.due_kind == DueKind.FEEDBACK
    assert case.due_at == timeliness.feedback_due(case.reopened_at)


# --- overdue and due soon are database filters ------------------------------------------------


@pytest.fixture
def three_cases(org, guardian):
    now = timezone.now()
    late = raise_concern(org).case
    soon = raise_concern(org).case
    later = raise_concern(org).case
    done = case_in_state(raise_concern(org).case, "feedback_given", guardian=guardian)
    Case.objects.filter(pk=late.pk).update(due_at=now - dt.timedelta(hours=1))
    Case.objects.filter(pk=soon.pk).update(due_at=now + dt.timedelta(days=1))
    Case.objects.filter(pk=later.pk).update(due_at=now + dt.timedelta(days=20))
    return late, soon, later, done


def test_overdue_and_due_soon_are_answered_by_the_database(three_cases, django_assert_num_queries):
    late, soon, _, _ = three_cases
    with django_assert_num_queries(1):
        overdue = set(Case.objects.filter(timeliness.overdue_q()).values_list("pk", flat=True))
    with django_assert_num_queries(1):
        due_soon = set(Case.objects.filter(timeliness.due_soon_q()).values_list("pk", flat=True))
    assert overdue == {late.pk}
    assert due_soon == {soon.pk}


def test_the_queue_filters_by_due(three_cases, guardian):
    late, soon, _, _ = three_cases

    def refs(due: str) -> set[str]:
        cases = selectors.case_list_for_user(user=guardian, filters=QueueFilters(due=due))
        return {c.reference for c in cases}

    assert refs("overdue") == {late.reference}
    assert refs("soon") == {soon.reference}
    assert len(refs("")) == 4


def test_a_case_knows_whether_it_is_overdue(three_cases):
    late, soon, _, done = three_cases
    late.refresh_from_db()
    soon.refresh_from_db()
    assert late.is_overdue
    assert not soon.is_overdue
    assert not done.is_overdue


def test_sorting_by_due_puts_nothing_due_last_on_every_database(three_cases, guardian):
    late, soon, later, done = three_cases
    cases = selectors.case_list_for_user(user=guardian, filters=QueueFilters(sort="due"))
    assert [c.pk for c in cases] == [late.pk, soon.pk, later.pk, done.pk]
