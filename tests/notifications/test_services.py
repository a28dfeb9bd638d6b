"""Planning and delivering notifications from case events (the outbox)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from notifications import services
from notifications.models import Channel, Delivery, Notification, PlannedEvent, Topic
from tests.factories import case_in_state, raise_concern
from tests.notifications.conftest import mail_to
from workflow.models import CaseEvent, EventKind
from workflow.services import handling, notices
from workflow.services import reporter as reporter_actions

pytestmark = pytest.mark.django_db


def later(minutes: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_a_new_case_tells_every_guardian_of_the_organisation_and_nobody_else(
    committed, org, guardian, lead, outsider_guardian, committee, reporter
):
    # given guardians of two organisations, a committee member and a reporter
    # when an anonymous concern is raised at org
    raised = committed(raise_concern, org)

    # then each guardian and lead of org gets one email and one in-app notification
    for user in (guardian, lead):
        assert len(mail_to(user.email)) == 1
        assert Notification.objects.filter(recipient=user, case=raised.case).count() == 1
    # and nobody else hears of it
    for user in (outsider_guardian, committee, reporter):
        assert mail_to(user.email) == []
        assert not Notification.objects.filter(recipient=user).exists()


def test_the_email_says_only_that_there_is_something_new(committed, org, guardian):
    raised = committed(raise_concern, org, description="Dr Smith shouts at students on ward 7")
    [email] = mail_to(guardian.email)
    text = email.subject + email.body
    assert raised.case.reference in text
    assert "Sign in to see it" in email.body
    assert f"https://speakup.example/cases/{raised.case.reference}/" in email.body
    assert "Smith" not in text and "ward 7" not in text
    assert "Patient safety" not in text and "patient-safety" not in text


def test_a_reporter_reply_tells_the_assigned_guardian_only(
    committed, org, guardian, other_guardian, lead, reporter
):
    raised = raise_concern(org, route="open", reporter=reporter)
    case = case_in_state(raised.case, "acknowledged", guardian=guardian)
    mail.outbox.clear()

    committed(reporter_actions.concern_message_reply, case=case, actor=reporter, body="More detail")

    assert len(mail_to(guardian.email)) == 1
    assert mail_to(other_guardian.email) == [] and mail_to(lead.email) == []
    assert Notification.objects.get(recipient=guardian).topic == Topic.REPORTER_REPLY


def test_a_guardian_message_emails_a_reporter_who_opted_in_saying_your_concern(
    committed, org, guardian, reporter
):
    raised = raise_concern(org, route="confidential", reporter=reporter, email_updates=True)
    case = case_in_state(raised.case, "acknowledged", guardian=guardian)
    mail.outbox.clear()

    committed(handling.case_message_send, case=case, actor=guardian, body="We have news")

    [email] = mail_to(reporter.email)
    assert "your concern" in email.body
    assert case.reference not in email.subject + email.body
    assert "We have news" not in email.body
    assert "https://speakup.example/my-concerns/" in email.body
    # and the guardian who wrote is not told about their own message
    assert mail_to(guardian.email) == []


def test_a_reporter_who_did_not_opt_in_gets_no_email(committed, org, guardian, reporter):
    raised = raise_concern(org, route="open", reporter=reporter, email_updates=False)
    case = case_in_state(raised.case, "acknowledged", guardian=guardian)
    mail.outbox.clear()
    committed(handling.case_message_send, case=case, actor=guardian, body="We have news")
    assert mail_to(reporter.email) == []


def test_an_anonymous_reporter_never_gets_email_even_if_asked(committed, org, guardian):
    raised = raise_concern(org, route="anonymous", email_updates=True)
    case = case_in_state(raised.case, "acknowledged", guardian=guardian)
    committed(handling.case_message_send, case=case, actor=guardian, body="We have news")
    assert not Delivery.objects.filter(to_reporter=True).exists()


def test_planning_an_event_twice_plans_it_once(committed, org, guardian):
    raised = committed(raise_concern, org)
    event = CaseEvent.objects.get(case=raised.case, kind=EventKind.RAISED)
    before = Delivery.objects.count()

    assert services.deliveries_plan_for_event(event_id=event.pk) == []
    assert Delivery.objects.count() == before


def test_a_planner_that_fails_loses_nothing_the_sweeper_plans_it_later(
    committed, org, guardian, monkeypatch
):
    # given planning that fails (a database hiccup in the worker, say)
    real = services.deliveries_plan_for_event

    def failing(**kwargs):
        raise RuntimeError("planner down")

    monkeypatch.setattr(services, "deliveries_plan_for_event", failing)

    # when a concern is raised, it is saved and the reporter is not shown an error
    raised = committed(raise_concern, org)
    assert raised.case.pk and not Delivery.objects.exists() and mail.outbox == []

    # then the sweeper, once its grace period has passed, plans and sends it
    monkeypatch.setattr(services, "deliveries_plan_for_event", real)
    services.deliveries_sweep(now=later(3))
    assert len(mail_to(guardian.email)) == 1
    assert PlannedEvent.objects.filter(event__case=raised.case).exists()


def test_sending_a_delivery_twice_sends_one_email(org, guardian):
    # given a planned delivery whose task is about to run twice (redelivered message)
    raised = raise_concern(org)  # on_commit not run: nothing sent yet
    event = CaseEvent.objects.get(case=raised.case, kind=EventKind.RAISED)
    services.deliveries_plan_for_event(event_id=event.pk)
    email_row = Delivery.objects.get(recipient=guardian, channel=Channel.EMAIL)

    # when it runs twice
    first = services.delivery_send(delivery_id=email_row.pk)
    second = services.delivery_send(delivery_id=email_row.pk)

    # then one email went out
    assert (first, second) == ("sent", "skipped")
    assert len(mail_to(guardian.email)) == 1


def test_the_sweeper_plans_and_sends_events_whose_receiver_never_ran(org, guardian):
    # given a concern committed but the process died before the post-commit receiver ran
    raised = raise_concern(org)
    assert mail.outbox == []

    # when the sweeper runs a few minutes later, twice
    first = services.deliveries_sweep(now=later(5))
    second = services.deliveries_sweep(now=later(6))

    # then the guardian is told exactly once
    assert first.planned == 2 and first.sent == 2
    assert (second.planned, second.sent) == (0, 0)
    assert len(mail_to(guardian.email)) == 1
    assert PlannedEvent.objects.filter(event__case=raised.case).exists()


def test_the_sweeper_leaves_fresh_events_to_the_receiver(org, guardian):
    raise_concern(org)
    assert services.deliveries_sweep().planned == 0


def test_the_planner_cursor_moves_past_planned_events_only(committed, org, guardian):
    committed(raise_concern, org)
    unplanned = raise_concern(org)
    services.deliveries_sweep(now=later(1))  # too fresh to plan; too fresh to settle
    from notifications.models import PlannerCursor

    services.events_plan_missed(now=later(30))
    cursor = PlannerCursor.objects.get(name="events")
    last = CaseEvent.objects.filter(case=unplanned.case).order_by("-pk").first()
    assert cursor.safe_event_id == last.pk
    assert PlannedEvent.objects.filter(event=last).exists()


class BrokenMail(BaseEmailBackend):
    """An SMTP server that is down."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


def test_a_mail_failure_is_retried_with_back_off_and_sent_once(settings, org, guardian):
    raised = raise_concern(org)
    event = CaseEvent.objects.get(case=raised.case, kind=EventKind.RAISED)
    services.deliveries_plan_for_event(event_id=event.pk)
    row = Delivery.objects.get(recipient=guardian, channel=Channel.EMAIL)

    settings.EMAIL_BACKEND = "tests.notifications.test_services.BrokenMail"
    assert services.delivery_send(delivery_id=row.pk) == "failed"
    row.refresh_from_db()
    assert row.sent_at is None and row.attempts == 1 and row.last_error == "ConnectionRefusedError"
    assert row.not_before > timezone.now()  # backed off
    assert services.delivery_send(delivery_id=row.pk) == "skipped"  # not yet

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    services.deliveries_sweep(now=later(10))
    services.deliveries_sweep(now=later(20))
    assert len(mail_to(guardian.email)) == 1


def test_an_anonymous_concern_is_notified_only_after_the_random_delay(
    settings, committed, org, guardian
):
    settings.SPEAKUP_ANONYMOUS_NOTIFY_DELAY = (600, 900)
    committed(raise_concern, org)
    assert mail.outbox == []
    rows = Delivery.objects.filter(recipient=guardian)
    assert all(r.not_before >= timezone.now() + dt.timedelta(seconds=590) for r in rows)

    services.deliveries_sweep(now=later(5))
    assert mail.outbox == []
    services.deliveries_sweep(now=later(17))
    assert len(mail_to(guardian.email)) == 1


def test_an_open_concern_is_not_delayed(settings, committed, org, guardian, reporter):
    settings.SPEAKUP_ANONYMOUS_NOTIFY_DELAY = (600, 900)
    committed(raise_concern, org, route="open", reporter=reporter)
    assert len(mail_to(guardian.email)) == 1


def test_an_overdue_escalation_goes_to_lead_guardians(committed, org, guardian, lead, second_lead):
    raised = raise_concern(org)
    case = raised.case
    committed(
        notices.case_due_notice_record,
        case=case,
        kind=EventKind.ESCALATION,
        due_kind=case.due_kind,
        due_at=case.due_at,
    )
    assert {n.recipient for n in Notification.objects.filter(topic=Topic.ESCALATION)} == {
        lead,
        second_lead,
    }
    assert mail_to(guardian.email) == []


def test_live_updates_go_to_the_groups_that_can_be_listening(org):
    # (a case raised a moment ago has no one on its page yet; once it exists, it may)
    from notifications import live, receivers

    row = {"organisation_id": org.pk, "assigned_guardian_id": None, "route": "open"}

    raised = receivers._live_sends(event_id=1, case_id=7, kind="raised", row=row)
    moved = receivers._live_sends(event_id=2, case_id=7, kind="transition", row=row)

    assert [group for group, _ in raised] == [live.organisation_group(org.pk)]
    assert [group for group, _ in moved] == [
        live.case_group(7),
        live.concern_group(7),
        live.organisation_group(org.pk),
    ]
