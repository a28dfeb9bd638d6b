"""A staff member's in-app notifications: marking them read."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification


@transaction.atomic
def notification_mark_read(*, user: AbstractBaseUser, notification_id: int) -> bool:
    """Mark one of the user's own notifications read; False if it is not theirs."""
    updated = Notification.objects.filter(
        pk=notification_id, recipient_id=user.pk, read_at__isnull=True
    ).update(read_at=timezone.now())
    return (
        bool(updated)
        or Notification.objects.filter(pk=notification_id, recipient_id=user.pk).exists()
    )


@transaction.atomic
def notification_mark_all_read(*, user: AbstractBaseUser) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
