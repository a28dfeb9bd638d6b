"""Nothing about an anonymous reporter leaks through notifications: not in any email, log
record, task payload or live message."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest
from celery.signals import before_task_publish, task_prerun
from django.core import mail
from django.utils import timezone

from notifications import receivers, scheduling, services
from tests.factories import category, raise_concern
from workflow.models import Case, CaseEvent
from workflow.selectors import receipt_holder_for
from workflow.services import handling
from workflow.services import reporter as reporter_actions
from workflow.signals import CASE_ROW_FIELDS

pytestmark = pytest.mark.django_db

DESCRIPTION = "Registrar Priya Kaur on Elm ward mocks students who ask questions"
HOPED = "Please stop the mocking on Elm ward"
REPLY = "It happened again on Tuesday night shift"
IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")


@pytest.fixture
def payloads():
    captured: list[str] = []

    def on_publish(sender=None, body=None, headers=None, **kwargs):
        captured.append(json.dumps([body, headers], default=str))

    def on_prerun(sender=None, task_id=None, task=None, args=None, kwargs=None, **extra):
        captured.append(json.dumps([task.name if task else "", args, kwargs], default=str))

    before_task_publish.connect(on_publish, weak=False)
    task_prerun.connect(on_prerun, weak=False)
    yield captured
    before_task_publish.disconnect(on_publish)
    task_prerun.disconnect(on_prerun)


def test_an_anonymous_submission_leaks_nothing(
    committed, caplog, payloads, org, guardian, lead, settings
):
    caplog.set_level(logging.DEBUG)
    settings.SPEAKUP_ANONYMOUS_NOTIFY_DELAY = (0, 0)
    bullying = category("bullying-harassment")

    # given an anonymous concern raised, handled, answered, reminded about and swept
    raised = committed(
        raise_concern,
        org,
        description=DESCRIPTION,
        outcome_hoped=HOPED,
        categories=(bullying.slug,),
    )
    case = raised.case
    committed(handling.case_assign, case=case, guardian=guardian, actor=lead)
    committed(handling.case_message_send, case=case, actor=guardian, body="Thank you")
    committed(
        reporter_actions.concern_message_reply,
        case=case,
        actor=receipt_holder_for(case),
        body=REPLY,
    )
    later = timezone.now() + dt.timedelta(days=30)
    committed(scheduling.reminders_record, now=later)
    committed(scheduling.escalations_record, now=later)
    services.deliveries_sweep(now=later)
    row = Case.objects.filter(pk=case.pk).values(*CASE_ROW_FIELDS).get()
    live_messages = [
        json.dumps(receivers._live_sends(event_id=e.pk, case_id=case.pk, kind=e.kind, row=row))
        for e in CaseEvent.objects.filter(case=case)
    ]

    # then every email, log record, task payload and live message is clean
    assert mail.outbox, "the guardians were notified"
    assert payloads, "tasks ran"
    texts = (
        [f"{m.subject}\n{m.body}\n{m.to}" for m in mail.outbox]
        + [f"{r.name} {r.getMessage()} {r.args}" for r in caplog.records]
        + payloads
        + live_messages
    )
    receipt = raised.receipt_code
    forbidden = [
        DESCRIPTION,
        "Priya",
        "Kaur",
        "Elm ward",
        HOPED,
        REPLY,
        "Tuesday",
        receipt,
        receipt.replace("-", ""),
        bullying.name,
        bullying.slug,
    ]
    for text in texts:
        for secret in forbidden:
            assert secret.lower() not in text.lower(), f"{secret!r} leaked into {text!r}"
        assert not IPV4.search(text), f"an IP address leaked into {text!r}"
