"""/health/live/ and /health/ready/: JSON, 200 when ready, 503 with the failing check named."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from concerns.roles import Role
from notifications.models import Channel, Delivery, Topic
from ops.models import Heartbeat
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def ready(client):
    response = client.get("/health/ready/", HTTP_ACCEPT="text/html")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def test_live_answers_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "live"}


def test_ready_on_the_embedded_defaults(client, settings):
    # given Celery eager (no worker or beat to ask)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    status, body = ready(client)
    assert status == 200, body
    assert body["status"] == "ready"
    assert {"database", "migrations", "outbox"} <= set(body["checks"])
    assert all(c["ok"] for c in body["checks"].values())


def test_an_old_due_delivery_makes_it_not_ready(client, settings, org):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SPEAKUP_HEALTH = type(settings.SPEAKUP_HEALTH)(outbox_max_age_seconds=600)
    guardian = make_user(Role.GUARDIAN, org, username="gwen")
    delivery = Delivery.objects.create(
        key="k1",
        recipient=guardian,
        channel=Channel.EMAIL,
        topic=Topic.NEW_CASE,
        not_before=timezone.now() - dt.timedelta(minutes=5),
    )
    assert ready(client)[0] == 200
    # when it has waited past the limit
    Delivery.objects.filter(pk=delivery.pk).update(
        not_before=timezone.now() - dt.timedelta(minutes=11)
    )
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["outbox"]["ok"] is False
    assert "limit 600 s" in body["checks"]["outbox"]["error"]
    # and sent, it is ready again
    Delivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now())
    assert ready(client)[0] == 200


def test_without_a_worker_or_a_recent_beat_it_is_not_ready(client, settings):
    # given a real broker configuration (not eager) and no worker listening on a queue
    # nobody consumes
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_TASK_DEFAULT_QUEUE = "h19-nobody-listens"
    settings.SPEAKUP_HEALTH = type(settings.SPEAKUP_HEALTH)(
        worker_ping_seconds=0.5, beat_max_age_seconds=60
    )
    Heartbeat.objects.create(name="beat", at=timezone.now() - dt.timedelta(minutes=5))
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["celery_worker"]["ok"] is False
    assert body["checks"]["celery_beat"]["ok"] is False
    assert "limit 60 s" in body["checks"]["celery_beat"]["error"]


def test_the_heartbeat_task_records_beat(settings):
    from ops.tasks import heartbeat

    heartbeat.delay()
    first = Heartbeat.objects.get(name="beat").at
    heartbeat.delay()
    assert Heartbeat.objects.get(name="beat").at >= first
    assert "ops-heartbeat" in settings.CELERY_BEAT_SCHEDULE


def test_unapplied_migrations_make_it_not_ready(client, settings):
    # given an application deployed ahead of `migrate`: ops' migration rolled back for real
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from django.core.management import call_command

    call_command("migrate", "ops", "zero", verbosity=0)
    try:
        status, body = ready(client)
    finally:
        call_command("migrate", "ops", verbosity=0)
    assert status == 503
    assert body["checks"]["migrations"]["ok"] is False
    assert body["checks"]["migrations"]["error"] == "1 migration(s) not applied"
    assert ready(client)[0] == 200
