"""Reads for notifications/. Staff see only their own notifications; the scheduler's reads
are system-wide by nature (no actor), so they live here rather than in workflow/."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from concerns.selectors import organisation_ids_for_user
from notifications.models import Notification
from workflow.models import OPEN_STATES, Case, Status

DUE_SOON = dt.timedelta(days=3)


def notification_list_for_user(*, user: AbstractBaseUser) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user.pk).select_related("case")


def notification_unread_count(*, user: AbstractBaseUser) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def digest_counts(*, user: AbstractBaseUser, now: dt.datetime | None = None) -> dict[str, int]:
    """Counts only, for a lead's daily digest."""
    now = now or timezone.now()
    cases = Case.objects.filter(
        organisation_id__in=organisation_ids_for_user(user=user), status__in=OPEN_STATES
    )
    return {
        "overdue": cases.filter(due_at__lt=now).count(),
        "due_soon": cases.filter(due_at__gte=now, due_at__lt=now + DUE_SOON).count(),
        "unassigned": cases.filter(assigned_guardian__isnull=True).count(),
    }


def cases_due_before(*, moment: dt.datetime) -> QuerySet[Case]:
    """Open cases whose next deadline (acknowledge or feedback) falls before ``moment``."""
    # Named, typed: Case's manager is untyped (its FSM mixin has no stubs).
    cases: QuerySet[Case] = Case.objects.filter(
        status__in=OPEN_STATES, due_at__isnull=False, due_at__lt=moment
    ).order_by("due_at", "pk")
    return cases


def cases_closed_before(*, moment: dt.datetime) -> QuerySet[Case]:
    cases: QuerySet[Case] = Case.objects.filter(
        status=Status.CLOSED, closed_at__isnull=False, closed_at__lte=moment
    ).order_by("closed_at", "pk")
    return cases
