"""Erasure at the end of retention, with what this app keeps that ties a case to its reporter."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.models import Delivery
from workflow.retention import case_content_erase, cases_due_for_erasure


def retention_sweep(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Erase the content of every case whose time has come (workflow.retention), and with it
    what this app keeps that ties the case to its reporter: the deliveries sent to them.
    At most ``limit`` cases a run; returns how many were erased."""
    now = now or timezone.now()
    erased = 0
    for case_id in list(cases_due_for_erasure(now=now).values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            if case_content_erase(case_id=case_id, now=now):
                Delivery.objects.filter(
                    Q(case_id=case_id) | Q(event__case_id=case_id), to_reporter=True
                ).delete()
                erased += 1
    return erased
