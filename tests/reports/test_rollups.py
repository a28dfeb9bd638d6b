"""Rollups kept current as cases change (marked stale on commit, recomputed before any read
and by beat), and rebuildable."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from reports.models import MonthlyCount, MonthlyDuration, OpenCase, RollupMonth
from reports.periods import month_of
from reports.services import rollups_refresh_stale
from reports.tasks import refresh_stale_rollups
from tests.factories import case_in_state, raise_concern
from workflow.services import reporter as reporter_actions

pytestmark = pytest.mark.django_db


def count(org, dimension, value=""):
    rollups_refresh_stale()  # what every report read does first
    return sum(
        MonthlyCount.objects.filter(
            organisation=org, grain="month", dimension=dimension, value=value
        ).values_list("count", flat=True)
    )


def test_raising_and_handling_a_concern_updates_rollups_on_commit(
    org, guardian, django_capture_on_commit_callbacks
):
    # Given no concerns, when one is raised (the event's signal runs on commit)
    with django_capture_on_commit_callbacks(execute=True):
        raised = raise_concern(org, route="anonymous", categories=("bullying-harassment",))
    # then the rollups count it in its month, and it is open
    assert count(org, "total") == 1
    assert count(org, "route", "anonymous") == 1
    assert count(org, "category", "bullying-harassment") == 1
    assert count(org, "standard", "1.7") == 1
    month = month_of(raised.case.raised_at)
    assert set(
        MonthlyCount.objects.filter(organisation=org, grain="month").values_list("month", flat=True)
    ) == {month}
    # and the quarter and financial-year rows hold it too
    for grain in ("quarter", "year"):
        row = MonthlyCount.objects.get(organisation=org, grain=grain, dimension="total")
        assert row.count == 1 and row.month <= month
    assert OpenCase.objects.filter(case=raised.case).exists()
    # when it is driven to closed
    with django_capture_on_commit_callbacks(execute=True):
        case = case_in_state(raised.case, "closed", guardian=guardian)
    # then status, response and durations follow, and it is no longer open
    assert count(org, "status", "closed") == 1 and count(org, "status", "received") == 0
    assert count(org, "response", "acknowledged_within") == 1
    assert count(org, "outcome", "upheld") == 1
    assert MonthlyDuration.objects.get(organisation=org, grain="month", measure="close").days == 0
    assert MonthlyDuration.objects.get(organisation=org, grain="year", measure="close").count == 1
    assert not OpenCase.objects.filter(case=case).exists()
    # when the reporter answers "would you speak up again?" and triage changes categories
    from workflow.policies import ReceiptHolder

    with django_capture_on_commit_callbacks(execute=True):
        reporter_actions.concern_speak_up_again_answer(
            case=case, actor=ReceiptHolder(case.concern_id), answer="yes"
        )
    assert count(org, "speak_up_again", "yes") == 1


def test_rebuild_command_reproduces_incremental_rollups(
    org, guardian, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            raise_concern(org, route="open", reporter=guardian)
    rollups_refresh_stale()
    before = sorted(MonthlyCount.objects.values_list("dimension", "value", "count"))
    MonthlyCount.objects.all().delete()
    OpenCase.objects.all().delete()
    call_command("rebuild_rollups")
    assert sorted(MonthlyCount.objects.values_list("dimension", "value", "count")) == before
    assert OpenCase.objects.count() == 3


def test_generate_concerns_makes_realistic_load(db):
    from benchmarks.generate_concerns import Load, generate_concerns

    load = Load(count=400, organisations=2, departments=2, seed=3)
    generate_concerns(load=load, say=lambda _: None)
    from concerns.models import Concern
    from workflow.models import Case

    assert Concern.objects.count() == 400 and Case.objects.count() == 400
    for grain in ("month", "quarter", "year"):
        totals = MonthlyCount.objects.filter(grain=grain, dimension="total")
        assert sum(totals.values_list("count", flat=True)) == 400
    anonymous = Concern.objects.filter(route="anonymous")
    assert 15 <= anonymous.count() <= 65  # about 9.3%
    assert all(h.startswith("synthetic-") for h in anonymous.values_list("receipt_hash", flat=True))
    assert Case.objects.filter(status="closed").count() > 100
    # the reused description token decrypts to the fixed synthetic text
    assert Concern.objects.first().description.startswith("Synthetic concern")


def test_a_case_change_only_marks_its_month_stale_and_a_read_or_beat_recomputes_it(
    org, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    # Given a month already rolled up
    with django_capture_on_commit_callbacks(execute=True):
        raise_concern(org)
    assert count(org, "total") == 1
    # When another concern is raised, its on-commit work is a few small queries, not a scan
    with django_capture_on_commit_callbacks() as callbacks:
        raise_concern(org, categories=("worker-safety",))
    from reports.services import rollups_on_case_event
    from workflow.models import Case

    newest = Case.objects.order_by("-id").first()
    with django_assert_max_num_queries(12):
        rollups_on_case_event(case_id=newest.pk, kind="raised")
    # Then the month is stale and its counts not yet recomputed
    this_month = RollupMonth.objects.get(organisation=org, month=month_of(newest.raised_at))
    assert this_month.stale
    assert MonthlyCount.objects.get(organisation=org, grain="month", dimension="total").count == 1
    # And the beat task brings it up to date, once
    assert callbacks  # the signal was queued for after commit
    assert refresh_stale_rollups() == 1
    assert refresh_stale_rollups() == 0
    assert MonthlyCount.objects.get(organisation=org, grain="month", dimension="total").count == 2
    this_month.refresh_from_db()
    assert not this_month.stale


def _planner_rows(model) -> float | None:
    """What the database's planner believes the table holds (None: never analysed)."""
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            (rows,) = cursor.fetchone()
            return None if rows < 0 else rows
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
        found = cursor.fetchone()
        return float(found[0].split()[0]) if found else None


def test_a_rebuild_leaves_the_planner_statistics_of_what_it_wrote(org, guardian):
    # Without them (autovacuum off, or not yet round) PostgreSQL plans the dashboard's reads
    # for empty tables: a sort of every row where a hash of a few hundred would do.
    for _ in range(3):
        raise_concern(org, route="open", reporter=guardian)
    call_command("rebuild_rollups")
    assert _planner_rows(MonthlyCount) == MonthlyCount.objects.count() > 0
    assert _planner_rows(OpenCase) == 3


def test_open_now_follows_each_case_step_to_its_next_deadline(
    org, guardian, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = raise_concern(org).case
    assert OpenCase.objects.get(case=case).due_at == case.due_at  # to acknowledge

    with django_capture_on_commit_callbacks(execute=True):
        case = case_in_state(case, "acknowledged", guardian=guardian)

    row = OpenCase.objects.get(case=case)
    assert row.due_at == case.due_at == case.feedback_due_at  # now to give feedback
    assert OpenCase.objects.count() == 1
    assert RollupMonth.objects.get(organisation=org).stale
