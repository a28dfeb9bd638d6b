"""The committee family's reads of the rollups (reports.family), on either database."""

from __future__ import annotations

import datetime as dt

import pytest

from reports import family
from reports.models import MonthlyCount
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_orgs():
    return [OrganisationFactory().pk for _ in range(3)]


def test_the_familys_month_rows_are_the_years_month_rows(three_orgs):
    # Given monthly rows in and around financial year 2023/24, and a year row
    def row(org, month, grain="month", n=3):
        MonthlyCount.objects.create(
            organisation_id=org, grain=grain, month=month, dimension="route", value="open", count=n
        )

    row(three_orgs[0], dt.date(2023, 4, 1))
    row(three_orgs[1], dt.date(2024, 3, 1), n=5)
    row(three_orgs[0], dt.date(2024, 4, 1))  # the next year
    row(three_orgs[0], dt.date(2023, 4, 1), grain="year", n=8)
    row(three_orgs[2], dt.date(2023, 5, 1))  # an organisation not asked about
    # When the family reads the year, then it gets that year's month rows, as dates
    rows = family._month_rows(three_orgs[:2], 2023)
    assert sorted(rows) == [
        (three_orgs[0], dt.date(2023, 4, 1), "route", "open", 3),
        (three_orgs[1], dt.date(2024, 3, 1), "route", "open", 5),
    ]
    # and first months live are each organisation's first month with a total
    MonthlyCount.objects.create(
        organisation_id=three_orgs[1],
        grain="month",
        month=dt.date(2023, 9, 1),
        dimension="total",
        count=2,
    )
    assert family.first_months(three_orgs) == {three_orgs[1]: dt.date(2023, 9, 1)}
