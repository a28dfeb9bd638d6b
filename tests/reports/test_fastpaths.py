"""Each statement of reports/fastpaths.py gives what the ORM query beside it gives.

Over varied data (hypothesis for the rollup sums, a matrix of starting states for the
case-event writes), on whichever database the suite runs on (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.family import OPEN_NOW_SUMS
from reports.fastpaths import (
    CaseMark,
    RollupSum,
    case_mark_orm,
    case_mark_sql,
    rollup_sum_orm,
    rollup_sum_sql,
)
from reports.models import MonthlyCount, MonthlyDuration, OpenCase, RollupMonth
from reports.periods import Period, add_months, financial_year, quarter
from reports.selectors import figure_sums_for
from tests.factories import OrganisationFactory, raise_concern

pytestmark = pytest.mark.django_db

FIRST = dt.date(2023, 4, 1)
PERIODS = [
    financial_year(2023),
    financial_year(2024),
    quarter(2023, 2),
    quarter(2024, 4),
    Period("month", dt.date(2023, 7, 1), dt.date(2023, 7, 1)),
    Period("custom", dt.date(2023, 11, 1), dt.date(2024, 5, 1)),
]
GRAINS = ("month", "quarter", "year")

count_cells = st.dictionaries(
    st.tuples(
        st.integers(0, 2),  # organisation
        st.sampled_from(GRAINS),
        st.integers(0, 26),  # months after April 2023
        st.sampled_from(["total", "route", "response", "department"]),
        st.sampled_from(["", "open", "anonymous", "7"]),
    ),
    st.integers(0, 60),
    max_size=60,
)
duration_cells = st.dictionaries(
    st.tuples(
        st.integers(0, 2),
        st.sampled_from(GRAINS),
        st.integers(0, 26),
        st.sampled_from(["acknowledge", "feedback", "close"]),
        st.integers(0, 120),
    ),
    st.integers(0, 60),
    max_size=40,
)


@pytest.fixture
def three_orgs():
    return [OrganisationFactory().pk for _ in range(3)]


def _specs() -> list[RollupSum]:
    specs = [spec for period in PERIODS for spec in figure_sums_for(period=period).all()]
    # and reads the dashboard does not make today: no grain match, every month of a grain
    specs.append(RollupSum(MonthlyCount, ("organisation_id", "month"), "quarter"))
    specs.append(RollupSum(MonthlyDuration, ("days",), "year", match=(("measure", "close"),)))
    # and the committee family's "open now" (reports.family)
    specs.append(OPEN_NOW_SUMS)
    return specs


def _sorted(rows: list[tuple]) -> list[tuple]:
    return sorted(rows, key=repr)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(counts=count_cells, durations=duration_cells, pick=st.sampled_from([0, 1, 2, 3]))
def test_rollup_sums_in_sql_give_the_orms_rows(three_orgs, counts, durations, pick):
    organisations = [[], three_orgs[:1], three_orgs[1:], three_orgs][pick]
    with transaction.atomic():
        MonthlyCount.objects.bulk_create(
            MonthlyCount(
                organisation_id=three_orgs[o],
                grain=g,
                month=add_months(FIRST, m),
                dimension=d,
                value=v,
                count=n,
            )
            for (o, g, m, d, v), n in counts.items()
        )
        MonthlyDuration.objects.bulk_create(
            MonthlyDuration(
                organisation_id=three_orgs[o],
                grain=g,
                month=add_months(FIRST, m),
                measure=s,
                days=d,
                count=n,
            )
            for (o, g, m, s, d), n in durations.items()
        )
        for spec in _specs():
            orm = rollup_sum_orm(spec=spec, organisation_ids=organisations)
            sql = rollup_sum_sql(spec=spec, organisation_ids=organisations)
            assert _sorted(sql) == _sorted(orm), spec
            # the same types too (SQLite gives months as text to plain SQL)
            assert [tuple(map(type, r)) for r in _sorted(sql)] == [
                tuple(map(type, r)) for r in _sorted(orm)
            ]
        transaction.set_rollback(True)


def test_the_sums_are_not_trivially_empty(three_orgs):
    # Given one count in a year row, both reads find it (so the test above compares rows)
    MonthlyCount.objects.create(
        organisation_id=three_orgs[0], grain="year", month=FIRST, dimension="total", count=4
    )
    spec = figure_sums_for(period=financial_year(2023)).counts
    assert rollup_sum_sql(spec=spec, organisation_ids=three_orgs) == [("total", "", 4)]
    assert rollup_sum_orm(spec=spec, organisation_ids=three_orgs) == [("total", "", 4)]


WHEN = dt.datetime(2024, 6, 3, 9, 30, tzinfo=dt.UTC)
MONTH = dt.date(2024, 6, 1)


def _snapshot(before: dict) -> tuple:
    """OpenCase rows, and RollupMonth rows with refreshed_at kept only where the row was
    there before (a new row's is the moment it was written)."""
    open_cases = sorted(OpenCase.objects.values_list("case_id", "organisation_id", "due_at"))
    months = sorted(
        (o, m, stale, at if (o, m) in before else "new")
        for o, m, stale, at in RollupMonth.objects.values_list(
            "organisation_id", "month", "stale", "refreshed_at"
        )
    )
    return open_cases, months


def _state(case, org, *, open_row: str, month_row: str) -> dict:
    if open_row != "none":
        due = WHEN if open_row == "same" else WHEN + dt.timedelta(days=9)
        OpenCase.objects.create(case=case, organisation=org, due_at=due)
    if month_row != "none":
        RollupMonth.objects.create(
            organisation=org, month=MONTH, refreshed_at=WHEN, stale=month_row == "stale"
        )
    # another month of the organisation, which neither write may touch
    RollupMonth.objects.create(
        organisation=org, month=dt.date(2024, 5, 1), refreshed_at=WHEN, stale=False
    )
    return {(o, m) for o, m in RollupMonth.objects.values_list("organisation_id", "month")}


@pytest.mark.parametrize("open_row", ["none", "same", "other due"])
@pytest.mark.parametrize("month_row", ["none", "fresh", "stale"])
@pytest.mark.parametrize("is_open", [True, False])
@pytest.mark.parametrize("due_at", [None, WHEN])
def test_case_marks_in_sql_leave_what_the_orm_leaves(org, open_row, month_row, is_open, due_at):
    case = raise_concern(org).case
    OpenCase.objects.all().delete()
    RollupMonth.objects.all().delete()
    mark = CaseMark(
        case_id=case.pk, organisation_id=org.pk, month=MONTH, is_open=is_open, due_at=due_at
    )
    after = {}
    for name, write in (("sql", case_mark_sql), ("orm", case_mark_orm)):
        with transaction.atomic():
            before = _state(case, org, open_row=open_row, month_row=month_row)
            write(mark=mark)
            after[name] = _snapshot(before)
            transaction.set_rollback(True)
    assert after["sql"] == after["orm"]
    # and what both leave is what a case event must leave
    open_cases, months = after["sql"]
    assert open_cases == ([(case.pk, org.pk, due_at)] if is_open else [])
    assert (org.pk, MONTH, True) in [m[:3] for m in months]
    assert (org.pk, dt.date(2024, 5, 1), False, WHEN) in months
