"""Rollup tables the reports read from, and the reference figures they are set beside.

Reports never scan concerns. A concern contributes to one organisation-month (the local
month it was raised in: reports are cohorts by month raised). Each organisation-month has
its counts in ``MonthlyCount`` (one row per dimension and value, e.g. route=anonymous) and
its durations as whole-day histograms in ``MonthlyDuration``; both are recomputed for that
organisation-month whenever one of its cases changes. Medians come from the histograms:
exact to the whole day, and a period's median is a sum over at most a few hundred rows per
organisation-month, however many concerns there are.

The same rows are kept at three grains: month, quarter and financial year (``month`` is
then the first month of the quarter or year), derived from the month rows when those
change. A year's report reads one row per organisation and figure rather than twelve.
"""

from __future__ import annotations

from django.db import models

from concerns.models import Organisation


class Grain(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Financial year"


class RollupMonth(models.Model):
    """One per organisation-month with rollups: the lock taken while it is recomputed, and
    the mark that a case change has made it stale."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    refreshed_at = models.DateTimeField()
    stale = models.BooleanField(default=False, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month"], name="uniq_rollup_month")
        ]


class MonthlyCount(models.Model):
    """Concerns raised in an organisation-month with ``dimension`` = ``value``.

    Dimensions: total, route, role, group, department, category (a concern can have
    several), standard, status, response, outcome, detriment, speak_up_again, referral.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    grain = models.CharField(max_length=7, choices=Grain.choices, default=Grain.MONTH)
    month = models.DateField()
    dimension = models.CharField(max_length=20)
    value = models.CharField(max_length=40, blank=True, default="")
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "grain", "month", "dimension", "value"],
                name="uniq_monthly_count",
            )
        ]
        # On PostgreSQL, migration 0003 adds a covering index (INCLUDE value, count) so the
        # dashboard sums by index-only scan; SQLite has no covering indexes.


class DurationMeasure(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", "Days to acknowledge"
    FEEDBACK = "feedback", "Days to first feedback"
    CLOSE = "close", "Days to close"


class MonthlyDuration(models.Model):
    """How many concerns raised in an organisation-month took ``days`` whole days."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    grain = models.CharField(max_length=7, choices=Grain.choices, default=Grain.MONTH)
    month = models.DateField()
    measure = models.CharField(max_length=12, choices=DurationMeasure.choices)
    days = models.PositiveIntegerField()
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "grain", "month", "measure", "days"],
                name="uniq_monthly_duration",
            )
        ]


class OpenCase(models.Model):
    """Every case open now and when its next step is due: "open" and "overdue now" are
    counts over this small table rather than over all cases."""

    case = models.OneToOneField(
        "workflow.Case", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "due_at"])]


class NationalFigure(models.Model):
    """A published national proportion, kept as data with its source."""

    year = models.CharField(max_length=7, help_text="Financial year, e.g. 2022/23")
    measure = models.CharField(max_length=60, help_text="dimension:value, as in MonthlyCount")
    label = models.CharField(max_length=200)
    percent = models.DecimalField(max_digits=5, decimal_places=1)
    cases = models.PositiveIntegerField(help_text="The national base, as published")
    source = models.CharField(max_length=300)
    source_url = models.URLField(blank=True)

    class Meta:
        ordering = ["year", "id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "measure"], name="uniq_national_figure")
        ]


class ReturnSchema(models.Model):
    """A version of the national quarterly data return's field list.

    ``fields`` is a list of {"key", "label", "measure"} where measure is "dimension:value"
    (a MonthlyCount cell) or "dimension:*" (the sum over a dimension's values). A new
    version from the national collection is a new row, not new code.
    """

    version = models.CharField(max_length=30, unique=True)
    authority = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    effective_from = models.DateField()
    fields = models.JSONField()

    class Meta:
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"
