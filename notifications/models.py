"""What notifications/ keeps: the delivery table (the second half of the outbox), a marker
per planned case event, one row per time-driven notice, and staff's in-app notifications.

Nothing here holds concern text, names, receipt codes or addresses: a delivery names its
recipient by user id and its address is looked up when it is sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from workflow.models import Case, CaseEvent


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    IN_APP = "in_app", "In-app"


class Topic(models.TextChoices):
    """Why someone is told. Picks the wording; never says more than 'something new'."""

    NEW_CASE = "new_case", "New case"
    ASSIGNED = "assigned", "Case assigned to you"
    REPORTER_REPLY = "reporter_reply", "New message from the reporter"
    REPORTER_UPDATE = "reporter_update", "Update on your concern"
    REMINDER = "reminder", "Due soon"
    ESCALATION = "escalation", "Overdue"
    DIGEST = "digest", "Daily summary"


class PlannedEvent(models.Model):
    """Marks a case event whose deliveries have been planned (exactly once)."""

    event = models.OneToOneField(
        CaseEvent, on_delete=models.CASCADE, primary_key=True, related_name="notification_plan"
    )
    planned_at = models.DateTimeField(default=timezone.now)


class PlannerCursor(models.Model):
    """Every case event with an id at or below ``safe_event_id`` is planned, so the sweeper
    looks for unplanned events only above it instead of over the whole log."""

    name = models.CharField(max_length=40, primary_key=True)
    safe_event_id = models.BigIntegerField(default=0)


class Delivery(models.Model):
    """One message to one person on one channel. ``key`` makes planning idempotent; the
    conditional update of ``sent_at`` makes sending idempotent."""

    key = models.CharField(max_length=120, unique=True)
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    topic = models.CharField(max_length=20, choices=Topic.choices)
    # The recipient is the reporter: word it as "your concern", never the reference.
    to_reporter = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Not before this moment: the anonymous delay, then the retry back-off.
    not_before = models.DateTimeField(default=timezone.now)
    # A sweeper that claimed the row holds it until then (a crashed sweeper's claim lapses).
    leased_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The exception class only: an error message could quote an address.
    last_error = models.CharField(max_length=120, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["sent_at", "not_before"], name="delivery_due")]

    def __str__(self) -> str:
        return self.key


class DueNotice(models.Model):
    """One per time-driven notice (reminder, escalation, follow-up) for one due date, so a
    scheduler that runs late, twice or after a day's outage still sends each exactly once."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Reminder"
        ESCALATION = "escalation", "Escalation"
        FOLLOW_UP_3M = "follow_up_3m", "3-month follow-up"
        FOLLOW_UP_6M = "follow_up_6m", "6-month follow-up"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    # False when a later notice made this one pointless (both follow-ups due after an outage).
    sent = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "due_at"], name="uniq_due_notice")
        ]


class Notification(models.Model):
    """An in-app notification for a member of staff: a topic, a case reference and a link."""

    delivery = models.OneToOneField(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="notification"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    topic = models.CharField(max_length=20, choices=Topic.choices)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
