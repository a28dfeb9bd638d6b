"""What setting up a trust adds: each wording a category has had (so a concern keeps the words
it was raised under) and the retention period as a setting in the database."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class CategoryWording(models.Model):
    """One version of a category's wording, in use from ``valid_from`` until the next.

    A concern's categories are read at the version in use when it was raised
    (``setup.services.category_wording_at``): renaming a category no longer renames what
    reporters chose. Rows are added, never changed."""

    category = models.ForeignKey(
        "concerns.Category", on_delete=models.CASCADE, related_name="wordings"
    )
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=120)
    help_text = models.CharField(max_length=300, blank=True)
    valid_from = models.DateTimeField(default=timezone.now)
    changed_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["category", "-valid_from", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["category", "version"], name="one_wording_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class RetentionSetting(models.Model):
    """The retention period an administrator set, overriding RETENTION_MONTHS_AFTER_END.
    The newest row is in force; older rows are the history."""

    months_after_end = models.PositiveIntegerField(null=True, blank=True)  # None: keep for ever
    set_at = models.DateTimeField(default=timezone.now)
    set_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-set_at", "-id"]

    def __str__(self) -> str:
        return "never" if self.months_after_end is None else f"{self.months_after_end} months"
