"""Reminders, escalations, follow-ups and digests: worked out from due dates, each once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notifications import scheduling, services
from notifications.models import Delivery, DueNotice, Notification, Topic
from tests.factories import case_in_state, raise_concern
from tests.notifications.conftest import mail_to
from workflow import timeliness
from workflow.models import CaseEvent, EventKind, Message, MessageKind

pytestmark = pytest.mark.django_db


def events(case, kind):
    return CaseEvent.objects.filter(case=case, kind=kind).count()


def test_a_reminder_goes_to_the_assigned_guardian_once_however_often_beat_runs(
    committed, org, guardian, other_guardian
):
    # given an assigned case whose acknowledgement is due within the reminder window
    case = raise_concern(org).case
    case = case_in_state(case, "received", guardian=guardian)
    before_due = case.due_at - dt.timedelta(hours=2)

    # when beat runs three times before the deadline
    counts = [committed(scheduling.reminders_record, now=before_due) for _ in range(3)]

    # then one reminder event, and only the assigned guardian is told
    assert counts == [1, 0, 0]
    assert events(case, EventKind.REMINDER) == 1
    assert len(mail_to(guardian.email)) == 1
    assert mail_to(other_guardian.email) == []
    assert Notification.objects.get(recipient=guardian, topic=Topic.REMINDER)


def test_no_reminder_before_the_window(committed, org, guardian):
    case = case_in_state(raise_concern(org).case, "received", guardian=guardian)
    assert committed(scheduling.reminders_record, now=case.due_at - dt.timedelta(days=10)) == 0


def test_a_scheduler_down_for_a_day_catches_up_each_notice_once(committed, org, guardian, lead):
    # given an acknowledgement deadline that passed while beat was down for a day
    case = case_in_state(raise_concern(org).case, "received", guardian=guardian)
    restart = case.due_at + dt.timedelta(days=1)

    # when beat restarts and ticks twice
    for _ in range(2):
        committed(scheduling.reminders_record, now=restart)
        committed(scheduling.escalations_record, now=restart)

    # then the guardian got one reminder and the lead one escalation
    assert events(case, EventKind.REMINDER) == 1
    assert events(case, EventKind.ESCALATION) == 1
    assert Notification.objects.filter(recipient=guardian, topic=Topic.REMINDER).count() == 1
    assert Notification.objects.filter(recipient=lead, topic=Topic.ESCALATION).count() == 1
    assert not Notification.objects.filter(recipient=guardian, topic=Topic.ESCALATION).exists()


def test_a_new_deadline_gets_its_own_reminder(committed, org, guardian):
    case = case_in_state(raise_concern(org).case, "received", guardian=guardian)
    committed(scheduling.reminders_record, now=case.due_at - dt.timedelta(hours=1))
    case = case_in_state(case, "acknowledged", guardian=guardian)  # now feedback is due
    committed(scheduling.reminders_record, now=case.due_at - dt.timedelta(hours=1))
    assert events(case, EventKind.REMINDER) == 2


def test_closed_cases_get_no_reminders(committed, org, guardian):
    case_in_state(raise_concern(org).case, "closed", guardian=guardian)
    far = timezone.now() + dt.timedelta(days=400)
    assert committed(scheduling.reminders_record, now=far) == 0
    assert committed(scheduling.escalations_record, now=far) == 0


def test_follow_ups_ask_about_detriment_at_3_and_6_months_once_each(committed, org, guardian):
    case = case_in_state(raise_concern(org).case, "closed", guardian=guardian)
    three = timeliness.add_months(case.closed_at, 3) + dt.timedelta(hours=1)
    six = timeliness.add_months(case.closed_at, 6) + dt.timedelta(hours=1)

    assert committed(scheduling.follow_ups_record, now=three - dt.timedelta(days=2)) == 0
    assert committed(scheduling.follow_ups_record, now=three) == 1
    assert committed(scheduling.follow_ups_record, now=three) == 0
    assert committed(scheduling.follow_ups_record, now=six) == 1
    assert committed(scheduling.follow_ups_record, now=six) == 0

    asked = Message.objects.filter(case=case, kind=MessageKind.DETRIMENT_FOLLOW_UP)
    assert asked.count() == 2
    assert events(case, EventKind.FOLLOW_UP) == 2


def test_after_a_long_outage_only_the_6_month_follow_up_is_asked(committed, org, guardian):
    case = case_in_state(raise_concern(org).case, "closed", guardian=guardian)
    late = timeliness.add_months(case.closed_at, 7)
    assert committed(scheduling.follow_ups_record, now=late) == 1
    assert Message.objects.filter(case=case, kind=MessageKind.DETRIMENT_FOLLOW_UP).count() == 1
    assert DueNotice.objects.get(case=case, kind=DueNotice.Kind.FOLLOW_UP_3M).sent is False


def test_a_follow_up_emails_an_opted_in_reporter(committed, org, guardian, reporter):
    raised = raise_concern(org, route="open", reporter=reporter, email_updates=True)
    case = case_in_state(raised.case, "closed", guardian=guardian)
    before = len(mail_to(reporter.email))
    committed(scheduling.follow_ups_record, now=timeliness.add_months(case.closed_at, 4))
    assert len(mail_to(reporter.email)) == before + 1


def test_the_daily_digest_goes_to_leads_once_a_day_with_counts_only(committed, org, guardian, lead):
    raise_concern(org, description="Secret detail about ward 9")
    morning = timezone.localtime(timezone.now()).replace(hour=9, minute=0) + dt.timedelta(days=1)

    pending = scheduling.digests_plan(now=morning)
    assert scheduling.digests_plan(now=morning + dt.timedelta(hours=3)) == []
    for item in pending:
        services.delivery_send(delivery_id=item.delivery_id)

    [email] = mail_to(lead.email)
    assert "Not yet assigned: 1" in email.body
    assert "ward 9" not in email.body
    assert mail_to(guardian.email) == []
    assert Delivery.objects.filter(recipient=lead, topic=Topic.DIGEST).count() == 2


def test_no_digest_before_eight_in_the_morning(org, lead):
    raise_concern(org)
    early = timezone.localtime(timezone.now()).replace(hour=6) + dt.timedelta(days=1)
    assert scheduling.digests_plan(now=early) == []


def test_the_tick_command_catches_up_missed_work_once(org, guardian):
    from io import StringIO

    from django.core.management import call_command

    case = raise_concern(org).case  # its receiver never ran
    CaseEvent.objects.filter(case=case).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    Delivery.objects.all().delete()

    out = StringIO()
    call_command("notifications_tick", stdout=out)
    call_command("notifications_tick", stdout=StringIO())

    assert "planned 2" in out.getvalue()
    assert Notification.objects.filter(recipient=guardian, topic=Topic.NEW_CASE).count() == 1
