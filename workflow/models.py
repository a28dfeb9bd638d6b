from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from concerns.crypto import EncryptedBinaryField, EncryptedTextField
from concerns.models import Concern, Organisation, Route
from workflow import policies, timeliness


class Status(models.TextChoices):
    RECEIVED = "received", "Received"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    INVESTIGATING = "investigating", "Investigating"
    FEEDBACK_GIVEN = "feedback_given", "Feedback given"
    CLOSED = "closed", "Closed"
    REFERRED = "referred", "Referred"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REOPENED = "reopened", "Reopened"


OPEN_STATES = [
    Status.RECEIVED,
    Status.ACKNOWLEDGED,
    Status.INVESTIGATING,
    Status.FEEDBACK_GIVEN,
    Status.REOPENED,
]


class DueKind(models.TextChoices):
    NONE = "", "Nothing due"
    ACKNOWLEDGE = "acknowledge", "Acknowledgement"
    FEEDBACK = "feedback", "Feedback"


class ReferralDestination(models.TextChoices):
    HR = "hr", "Human resources"
    SAFEGUARDING = "safeguarding", "Safeguarding"
    REGULATOR = "regulator", "A regulator (GMC, NMC, HCPC, GPhC, GDC, CQC)"
    EDUCATION = "education", "Education provider or NHS England local office"
    OTHER = "other", "Other route"


def _may_move(case: Case, user: policies.Actor) -> bool:
    """django-fsm asks a transition's permission as (instance, user); ours are (user, obj)."""
    return policies.may_move_case(user, case)


def _may_withdraw(case: Case, user: policies.Actor) -> bool:
    return policies.may_withdraw(user, case)


def _has_guardian(case: Case) -> bool:
    return case.assigned_guardian_id is not None


def _feedback_written(case: Case) -> bool:
    """Feedback is a written message of its own (kind FEEDBACK), sent since the case was
    acknowledged or last reopened: an earlier question to the reporter does not count."""
    since = case.reopened_at or case.acknowledged_at
    written = Message.objects.filter(case_id=case.pk, kind=MessageKind.FEEDBACK)
    return (written.filter(created_at__gte=since) if since else written).exists()


def _has_outcome(case: Case) -> bool:
    return Outcome.objects.filter(case_id=case.pk).exists()


def _has_referral(case: Case) -> bool:
    return case.referral_destination in ReferralDestination.values and bool(
        case.referral_reason.strip()
    )


def _has_reopen_reason(case: Case) -> bool:
    return bool(case.reopen_reason.strip())


if TYPE_CHECKING:
    # django-fsm-2's types give its mixin as Any, which made Case itself Any to mypy (and
    # every query of cases unchecked); to the checker a Case is the model it is.
    _TransitionMixin = models.Model
else:
    _TransitionMixin = ConcurrentTransitionMixin


class Case(_TransitionMixin, models.Model):
    """One per concern. Its status changes only through the transitions below."""

    concern = models.OneToOneField(Concern, on_delete=models.PROTECT, related_name="case")
    # Copied from the concern so the queue filters and sorts on one table.
    reference = models.CharField(max_length=20, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    route = models.CharField(max_length=12, choices=Route.choices)
    status = FSMField(default=Status.RECEIVED, choices=Status.choices, protected=True)
    assigned_guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    raised_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    first_feedback_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    last_guardian_message_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField()
    # What is due next and when: stored, so "overdue" is one indexed WHERE clause.
    due_kind = models.CharField(max_length=12, choices=DueKind.choices, blank=True, default="")
    due_at = models.DateTimeField(null=True, blank=True)
    acknowledge_due_at = models.DateTimeField()
    feedback_due_at = models.DateTimeField(null=True, blank=True)
    referral_destination = models.CharField(
        max_length=20, choices=ReferralDestination.choices, blank=True, default=""
    )
    referral_reason = EncryptedTextField(blank=True, default="")
    # Told to the reporter: whether their name went with the referral (never, if anonymous).
    referral_name_shared = models.BooleanField(default=False)
    reopen_reason = EncryptedTextField(blank=True, default="")
    # Bumped by every service that changes the case: a stale form is refused, not applied.
    version = models.PositiveIntegerField(default=1)
    # Hash of the newest event, so that deleting the tail of the log is detected too.
    log_head = models.CharField(max_length=64, blank=True, default="")
    # When the retention rule erased this case's content (workflow.retention).
    content_erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "status", "-raised_at"]),
            # The queue's default order within an organisation, walked without sorting.
            models.Index(fields=["organisation", "-raised_at", "-id"]),
            models.Index(fields=["assigned_guardian", "status"]),
            models.Index(fields=["due_at"]),
            models.Index(fields=["-raised_at"]),
        ]
        permissions = [("reveal_identity", "Can reveal a confidential reporter's identity")]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def is_overdue(self) -> bool:
        return self.due_at is not None and self.due_at < timezone.now()

    # --- transitions: each changes only this case's own fields -------------------------

    @transition(
        field=status,
        source=Status.RECEIVED,
        target=Status.ACKNOWLEDGED,
        conditions=[_has_guardian],
        permission=_may_move,
    )
    def acknowledge(self) -> None:
        now = timezone.now()
        self.acknowledged_at = now
        self.feedback_due_at = timeliness.feedback_due(now)
        self.due_kind, self.due_at = DueKind.FEEDBACK, self.feedback_due_at

    @transition(
        field=status,
        source=[Status.ACKNOWLEDGED, Status.REOPENED],
        target=Status.INVESTIGATING,
        conditions=[_has_guardian],
        permission=_may_move,
    )
    def start_investigation(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.ACKNOWLEDGED, Status.INVESTIGATING],
        target=Status.FEEDBACK_GIVEN,
        conditions=[_has_guardian, _feedback_written],
        permission=_may_move,
    )
    def give_feedback(self) -> None:
        if self.first_feedback_at is None:
            self.first_feedback_at = timezone.now()
        self.due_kind, self.due_at = DueKind.NONE, None

    @transition(
        field=status,
        source=Status.FEEDBACK_GIVEN,
        target=Status.CLOSED,
        conditions=[_has_outcome],
        permission=_may_move,
    )
    def close(self) -> None:
        self.closed_at = timezone.now()
        self.due_kind, self.due_at = DueKind.NONE, None

    @transition(
        field=status,
        source=OPEN_STATES,
        target=Status.REFERRED,
        conditions=[_has_referral],
        permission=_may_move,
    )
    def refer(self) -> None:
        self.closed_at = timezone.now()
        self.due_kind, self.due_at = DueKind.NONE, None

    @transition(
        field=status,
        source=OPEN_STATES,
        target=Status.WITHDRAWN,
        permission=_may_withdraw,
    )
    def withdraw(self) -> None:
        self.closed_at = timezone.now()
        self.due_kind, self.due_at = DueKind.NONE, None

    @transition(
        field=status,
        source=Status.CLOSED,
        target=Status.REOPENED,
        conditions=[_has_reopen_reason],
        permission=_may_move,
    )
    def reopen(self) -> None:
        now = timezone.now()
        self.reopened_at, self.closed_at = now, None
        self.due_kind, self.due_at = DueKind.FEEDBACK, timeliness.feedback_due(now)


class EventKind(models.TextChoices):
    RAISED = "raised", "Concern raised"
    TRANSITION = "transition", "Status changed"
    ASSIGNED = "assigned", "Assigned"
    MESSAGE_TO_REPORTER = "message_to_reporter", "Message to reporter"
    MESSAGE_FROM_REPORTER = "message_from_reporter", "Message from reporter"
    NOTE = "note", "Internal note"
    OUTCOME = "outcome", "Outcome recorded"
    REFERRAL = "referral", "Referred"
    DETRIMENT = "detriment", "Detriment recorded"
    TRIAGE = "triage", "Categories or standards corrected"
    IDENTITY_VIEWED = "identity_viewed", "Confidential identity revealed"
    SPEAK_UP_AGAIN = "speak_up_again", "Answered 'would you speak up again?'"
    REMINDER = "reminder", "Reminder sent"
    ESCALATION = "escalation", "Escalated to lead guardian"
    FOLLOW_UP = "follow_up", "Detriment follow-up asked"
    CONTENT_ERASED = "content_erased", "Content erased under the retention rule"
    BUNDLE_DOWNLOADED = "bundle_downloaded", "Case bundle downloaded"
    FILE_ATTACHED = "file_attached", "File attached"


class CaseEvent(models.Model):
    """Append-only and hash-chained per case: the audit trail and the notification outbox."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # "guardian", "reporter", "system"... so an anonymous reporter's actions read sensibly.
    actor_role = models.CharField(max_length=20)
    from_state = models.CharField(max_length=20, blank=True, default="")
    to_state = models.CharField(max_length=20, blank=True, default="")
    note = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="uniq_event_seq")]
        indexes = [models.Index(fields=["kind", "created_at"])]

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("case events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("case events are append-only")


class Side(models.TextChoices):
    REPORTER = "reporter", "Reporter"
    GUARDIAN = "guardian", "Guardian"
    SYSTEM = "system", "Speak Up"


class MessageKind(models.TextChoices):
    MESSAGE = "message", "Message"
    SPEAK_UP_AGAIN = "speak_up_again", "Would you speak up again?"
    DETRIMENT_FOLLOW_UP = "detriment_follow_up", "Detriment follow-up"
    # Written by the guardian with a transition, and shown to the reporter prominently.
    FEEDBACK = "feedback", "Feedback"
    OUTCOME = "outcome", "Outcome"
    REFERRAL = "referral", "Where your concern went"


class Message(models.Model):
    """The conversation between reporter and guardian (the reporter sees all of it)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    side = models.CharField(max_length=10, choices=Side.choices)
    kind = models.CharField(max_length=24, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class InternalNote(models.Model):
    """Guardians only; the reporter never sees these."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class CaseFile(models.Model):
    """A file on a message of the conversation (either side's) or on an internal note.

    Its own model rather than ``concerns.Attachment``: concerns/ imports no other app, and a
    file here belongs to a workflow message or note. Encrypted at rest like an attachment;
    numbered within its case, so a download is named ``<reference>-file-<number>`` and never
    after the uploaded name (which may name a person)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="files")
    number = models.PositiveIntegerField()
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    note = models.ForeignKey(
        InternalNote, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    filename = EncryptedTextField()
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    data = EncryptedBinaryField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["case_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="uniq_case_file_number"),
            models.CheckConstraint(
                condition=models.Q(message__isnull=True, note__isnull=False)
                | models.Q(message__isnull=False, note__isnull=True),
                name="case_file_on_message_or_note",
            ),
        ]

    @property
    def is_internal(self) -> bool:
        return self.note_id is not None


class Upheld(models.TextChoices):
    UPHELD = "upheld", "Upheld"
    PARTLY = "partly", "Partly upheld"
    NOT_UPHELD = "not_upheld", "Not upheld"
    UNDETERMINED = "undetermined", "Could not be determined"


class Outcome(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="outcome")
    upheld = models.CharField(max_length=14, choices=Upheld.choices)
    findings = EncryptedTextField()
    actions = EncryptedTextField(blank=True, default="")
    lessons = EncryptedTextField(blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)


class DetrimentAnswer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNSURE = "unsure", "Not sure"


class DetrimentSource(models.TextChoices):
    GUARDIAN = "guardian", "Recorded by guardian"
    REPORTER = "reporter", "Told us in the conversation"
    FOLLOW_UP_3M = "follow_up_3m", "3-month follow-up"
    FOLLOW_UP_6M = "follow_up_6m", "6-month follow-up"


class Detriment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="detriments")
    suffered = models.CharField(max_length=8, choices=DetrimentAnswer.choices)
    source = models.CharField(max_length=14, choices=DetrimentSource.choices)
    note = EncryptedTextField(blank=True, default="")
    recorded_at = models.DateTimeField(default=timezone.now)


class SpeakUpAgain(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    MAYBE = "maybe", "Maybe"
    DONT_KNOW = "dont_know", "Don't know"


class SpeakUpAgainResponse(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="speak_up_again")
    answer = models.CharField(max_length=10, choices=SpeakUpAgain.choices)
    comment = EncryptedTextField(blank=True, default="")
    answered_at = models.DateTimeField(default=timezone.now)
