"""Two sweepers at once never take the same delivery (lease; SKIP LOCKED on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from notifications import receivers, services
from notifications.models import Delivery
from tests.factories import raise_concern
from workflow.models import CaseEvent
from workflow.signals import case_event_recorded

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def due_rows(org, guardian, lead):
    # as if the process died between commit and the post-commit receiver
    uid = "notifications.on_case_event_recorded"
    case_event_recorded.disconnect(dispatch_uid=uid)
    try:
        raised = raise_concern(org)
    finally:
        case_event_recorded.connect(receivers.on_case_event_recorded, dispatch_uid=uid)
    for event in CaseEvent.objects.filter(case=raised.case):
        services.deliveries_plan_for_event(event_id=event.pk)
    Delivery.objects.update(not_before=timezone.now() - dt.timedelta(minutes=5))
    return list(Delivery.objects.order_by("pk").values_list("pk", flat=True))


def test_a_second_sweeper_does_not_claim_what_the_first_holds(due_rows):
    first = services.deliveries_claim()
    second = services.deliveries_claim()
    assert sorted(first) == due_rows and second == []


def test_a_lapsed_claim_is_taken_over(due_rows):
    services.deliveries_claim()
    later = timezone.now() + services.LEASE + dt.timedelta(seconds=1)
    assert sorted(services.deliveries_claim(now=later)) == due_rows


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED is PostgreSQL's")
def test_a_row_locked_by_a_sending_worker_is_skipped_not_waited_for(due_rows):
    locked, release, held = due_rows[0], threading.Event(), threading.Event()

    def worker_sending() -> None:
        with transaction.atomic():
            Delivery.objects.select_for_update().get(pk=locked)
            held.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=worker_sending)
    thread.start()
    try:
        assert held.wait(10)
        claimed = services.deliveries_claim()
    finally:
        release.set()
        thread.join()
    assert sorted(claimed) == due_rows[1:]
