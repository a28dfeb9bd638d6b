"""Issue 13, smaller items: formula-safe exports, bad periods and choices as 400s, and a
trend that covers only months that have begun, from each organisation's first month live."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from concerns.roles import Role
from reports.models import Grain, MonthlyCount
from reports.periods import financial_year
from reports.selectors import report_figures, report_scope_for_user
from reports.tables import dashboard_build
from tests.factories import OrganisationFactory, make_user

pytestmark = pytest.mark.django_db

FY = "period=year&year=2024"
FORMULAS = ["=HYPERLINK(1)", "+SUM(1)", "-2+3", "@cmd", "\tTab", "\rReturn"]


def _month_rows(org, counts: dict[dt.date, int]) -> None:
    from reports.services import _derive_grains

    MonthlyCount.objects.bulk_create(
        MonthlyCount(organisation=org, grain=Grain.MONTH, month=m, dimension=d, value=v, count=n)
        for m, n in counts.items()
        for d, v in (
            ("total", ""),
            ("route", "anonymous"),
            ("status", "received"),
            ("response", "open"),
        )
    )
    _derive_grains(org.pk, list(counts))


@pytest.mark.parametrize("name", FORMULAS)
def test_every_export_neutralises_text_a_spreadsheet_would_run(client, org, name):
    # Given an organisation (and a department) whose name a spreadsheet would run
    org.name = name
    org.save()
    from tests.factories import DepartmentFactory

    ward = DepartmentFactory(organisation=org, name=name)
    MonthlyCount.objects.create(
        organisation=org,
        grain=Grain.MONTH,
        month=dt.date(2024, 5, 1),
        dimension="department",
        value=str(ward.pk),
        count=9,
    )
    _month_rows(org, {dt.date(2024, 5, 1): 9})
    lead = make_user(Role.LEAD_GUARDIAN, org, username="lea")
    client.force_login(lead)
    # When every export is downloaded
    texts = []
    for key in ("organisation", "department", "route"):
        body = client.get(f"/reports/export/{key}.csv?{FY}").content.decode()
        texts += [c for row in csv.reader(io.StringIO(body)) for c in row]
    book = load_workbook(io.BytesIO(client.get(f"/reports/export.xlsx?{FY}").content))
    texts += [
        c.value
        for s in book.worksheets
        for row in s.iter_rows()
        for c in row
        if isinstance(c.value, str)
    ]
    body = client.get("/reports/data-return.csv?quarter=2024-Q1").content.decode()
    texts += [c for row in csv.reader(io.StringIO(body)) for c in row]
    # then the name appears, and only ever behind an apostrophe
    assert any(t == "'" + name for t in texts)
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@", "\t", "\r"))]


@pytest.mark.parametrize(
    "query",
    [
        "period=year&year=9999",
        "period=year&year=3000",
        "period=month&month=9999-12",
        "period=month&month=2099-01",
        "period=quarter&quarter=2999-Q4",
        "period=custom&from=2024-01&to=2024-03",
        "period=week",
    ],
)
def test_periods_out_of_range_or_not_offered_are_a_400_with_a_message(client, org, query):
    committee = make_user(Role.COMMITTEE, org, username="cleo")
    client.force_login(committee)
    page = client.get(f"/reports/?{query}")
    assert page.status_code == 400
    assert "Check the period" in page.content.decode()
    api = client.get(f"/api/v1/reports/dashboard/?{query}")
    assert api.status_code == 400 and api.json()["detail"]
    for url in ("/reports/export.xlsx", "/reports/board-pack.pdf", "/reports/export/route.csv"):
        assert client.get(f"{url}?{query}").status_code == 400


def test_a_set_of_organisations_other_than_one_or_all_is_a_400(client, org, other_org):
    third = OrganisationFactory(code="RZ3", name="West Placement Trust")
    member = make_user(Role.COMMITTEE, org, other_org, third, username="cleo")
    client.force_login(member)
    some = f"org={org.pk}&org={other_org.pk}"
    assert client.get(f"/reports/?{FY}&{some}").status_code == 400
    assert client.get(f"/api/v1/reports/dashboard/?{FY}&{some}").status_code == 400
    every = f"org={org.pk}&org={other_org.pk}&org={third.pk}"
    assert client.get(f"/reports/?{FY}&{every}").status_code == 200
    assert client.get(f"/reports/?{FY}&org={third.pk}").status_code == 200


def test_the_trend_starts_at_the_first_month_live_and_stops_at_this_month(org, other_org):
    # Given B live from June 2024 with steady months, A live from 2020, today 15 Sep 2024
    _month_rows(other_org, {dt.date(2024, m, 1): 20 for m in (6, 7, 8, 9)})
    _month_rows(org, {dt.date(2020, 1, 1): 9})
    member = make_user(Role.COMMITTEE, org, other_org, username="cleo")
    now = dt.datetime(2024, 9, 15, 12, tzinfo=dt.UTC)
    # When B's 2024/25 report is built
    scope = report_scope_for_user(
        user=member, period=financial_year(2024), organisation_ids=[other_org.pk]
    )
    d = dashboard_build(scope=scope, figures=report_figures(scope=scope), now=now)
    # then its trend is June to September only: no months before B was live, none to come,
    # no zeros flagged as special cause, and they are not in the mean
    months = [m.strftime("%Y-%m") for m in d.trend_months]
    assert months == ["2024-06", "2024-07", "2024-08", "2024-09"]
    assert d.trend.mean == 20
    assert all(r.cells[1] == "Common cause" for r in d.tables["trend"].rows)
    # and all organisations together start at the earliest first month (A's, in 2020),
    # limited to the 24 months to the end of the period
    scope = report_scope_for_user(user=member, period=financial_year(2024))
    d = dashboard_build(scope=scope, figures=report_figures(scope=scope), now=now)
    assert d.trend_months[0] == dt.date(2023, 4, 1) and d.trend_months[-1] == dt.date(2024, 9, 1)


def test_the_spc_limits_and_flags_come_from_the_months_as_shown(org):
    # Given a month of 6 among months of 20 (shown *, and counted as 4 in the mean)
    counts = {dt.date(2023, 4, 1) + dt.timedelta(days=31 * i): 20 for i in range(12)}
    counts = {m.replace(day=1): n for m, n in counts.items()}
    first = min(counts)
    counts[first] = 6
    _month_rows(org, counts)
    member = make_user(Role.COMMITTEE, org, username="cleo")
    scope = report_scope_for_user(user=member, period=financial_year(2023))
    d = dashboard_build(
        scope=scope,
        figures=report_figures(scope=scope),
        now=dt.datetime(2024, 4, 2, tzinfo=dt.UTC),
    )
    # then the mean is of 4 and eleven 20s, and the * month itself is never flagged
    assert d.trend.mean == pytest.approx((4 + 11 * 20) / 12)
    assert d.tables["trend"].rows[0].cells[1] == "Not assessed (withheld month)"
    assert not d.trend.points[0].rules


# --- the last resort: a report that cannot be made safe is refused (never a 500) ----------


# (a `*` pinned by `*`s alone is now published safely: tests/reports/test_audit_fallback.py)


def test_an_unsafe_report_is_a_clear_refusal_on_the_page_and_in_the_api(
    client, dataset, committee, monkeypatch
):
    # given figures the auditor cannot make safe (as the case above, on a member's family)
    from django.core.cache import cache

    from reports import family
    from reports.protection import NothingToWithhold

    def unsafe(*args, **kwargs):
        raise NothingToWithhold("secondary suppression found nothing to withhold")

    monkeypatch.setattr(family, "protect", unsafe)
    monkeypatch.setattr(family, "withhold", unsafe)
    cache.clear()  # (and the process's own memo of audits, if any)
    for memo in [v for v in vars(family).values() if hasattr(v, "cache_clear")]:
        memo.cache_clear()
    client.force_login(committee)
    # when the member opens the dashboard and the API
    page = client.get("/reports/?period=year&year=2024")
    api = client.get("/api/v1/reports/dashboard/?period=year&year=2024")
    # then neither is a 500, and each says why nothing is shown
    assert page.status_code == 409 and "cannot be shown" in page.content.decode()
    assert api.status_code == 409 and "cannot be shown" in api.json()["detail"]
