"""Beat's heartbeat: scheduled by beat, run by a worker, read by ``/health/ready/``."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="ops.heartbeat", ignore_result=True)
def heartbeat() -> None:
    from ops.models import Heartbeat

    Heartbeat.objects.update_or_create(name="beat", defaults={"at": timezone.now()})
