from __future__ import annotations

from django.conf import settings
from django.db import models

from concerns.crypto import EncryptedBinaryField, EncryptedTextField


class Organisation(models.Model):
    class Kind(models.TextChoices):
        TRUST = "trust", "NHS trust"
        GP_PRACTICE = "gp_practice", "GP practice"
        COMMUNITY = "community", "Community provider"
        INDEPENDENT = "independent", "Independent sector"
        OTHER = "other", "Other placement provider"

    code = models.CharField("ODS code", max_length=12, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TRUST)
    is_active = models.BooleanField(default=True)
    # Shown to reporters (start, raise, receipt and concern pages): how to reach the guardians
    # directly, e.g. "Email ftsu@example.nhs.uk or call 0113 000 0000 (Monday to Friday)".
    guardian_contact = models.CharField(
        "Guardian contact details",
        max_length=500,
        blank=True,
        default="",
        help_text="How reporters can reach this organisation's Freedom to Speak Up guardians.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Department(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="departments"
    )
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="uniq_department_name")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """Ties a guardian, lead guardian or committee member to an organisation they serve."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="uniq_membership")
        ]


class QualityDomain(models.Model):
    number = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"Domain {self.number}. {self.title}"


class QualityStandard(models.Model):
    domain = models.ForeignKey(QualityDomain, on_delete=models.PROTECT, related_name="standards")
    code = models.CharField(max_length=8, unique=True)
    number = models.PositiveSmallIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["domain__number", "number"]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class Category(models.Model):
    """The nature of a concern. Data, editable by administrators; every edit bumps version."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    help_text = models.CharField(max_length=300, blank=True)
    standards = models.ManyToManyField(QualityStandard, blank=True, related_name="categories")
    # National return groupings (patient safety, bullying...) are keyed by slug.
    position = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Route(models.TextChoices):
    OPEN = "open", "Open"
    CONFIDENTIAL = "confidential", "Confidential"
    ANONYMOUS = "anonymous", "Anonymous"


class ReporterRole(models.TextChoices):
    LEARNER = "learner", "Learner (student or trainee on placement)"
    SUPERVISOR = "supervisor", "Supervisor or educator"
    OTHER_STAFF = "other_staff", "Other staff"


class ProfessionalGroup(models.TextChoices):
    MEDICAL = "medical", "Medical"
    DENTAL = "dental", "Dental"
    NURSING_MIDWIFERY = "nursing_midwifery", "Nursing and midwifery"
    ALLIED_HEALTH = "allied_health", "Allied health professions"
    PHARMACY = "pharmacy", "Pharmacy"
    HEALTHCARE_SCIENCE = "healthcare_science", "Healthcare science"
    OTHER = "other", "Other"
    NOT_SAID = "not_said", "Prefer not to say"


class RaisedElsewhere(models.TextChoices):
    NO = "no", "No"
    YES = "yes", "Yes"
    NOT_SAID = "not_said", "Prefer not to say"


class Concern(models.Model):
    reference = models.CharField(max_length=20, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    categories = models.ManyToManyField(Category, related_name="concerns")
    standards = models.ManyToManyField(QualityStandard, blank=True, related_name="concerns")
    route = models.CharField(max_length=12, choices=Route.choices)
    reporter_role = models.CharField(max_length=12, choices=ReporterRole.choices)
    professional_group = models.CharField(
        max_length=20, choices=ProfessionalGroup.choices, default=ProfessionalGroup.NOT_SAID
    )
    raised_elsewhere = models.CharField(
        max_length=10, choices=RaisedElsewhere.choices, default=RaisedElsewhere.NOT_SAID
    )
    description = EncryptedTextField()
    outcome_hoped = EncryptedTextField(blank=True, default="")
    # Open and confidential reporters only; never set for an anonymous concern.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="concerns",
    )
    reporter_name = EncryptedTextField(blank=True, default="")
    reporter_contact = EncryptedTextField(blank=True, default="")
    email_updates = models.BooleanField(default=False)
    # Anonymous only: a slow keyed hash of the receipt code (the code itself is never kept).
    receipt_hash = models.CharField(max_length=128, null=True, blank=True, unique=True)
    raised_at = models.DateTimeField()

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["organisation", "raised_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(route="anonymous") | models.Q(reporter__isnull=True),
                name="anonymous_has_no_reporter",
            ),
            models.CheckConstraint(
                condition=~models.Q(route="anonymous") | models.Q(receipt_hash__isnull=False),
                name="anonymous_has_receipt",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_anonymous(self) -> bool:
        return self.route == Route.ANONYMOUS


class Attachment(models.Model):
    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="attachments")
    filename = EncryptedTextField()
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    data = EncryptedBinaryField()
    uploaded_at = models.DateTimeField(auto_now_add=True)


class ReferenceCounter(models.Model):
    """One row per year; incremented under a row lock to hand out SU-YYYY-NNNNN."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class KeyRotationCheckpoint(models.Model):
    """Where an interrupted rotate_encryption_keys run got to, per model."""

    label = models.CharField(max_length=100, unique=True)
    last_pk = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
