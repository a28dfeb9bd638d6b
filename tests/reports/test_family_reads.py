"""The committee family's reads of the rollups (reports.family), on either database."""

from __future__ import annotations

import datetime as dt

import pytest

from reports import family
from reports.models import MonthlyCount
from reports.protection import Box, NothingToWithhold, box_of, propagate
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


def _month(org, dimension, value, n, month=dt.date(2024, 5, 1)):
    MonthlyCount.objects.create(
        organisation_id=org, grain="month", month=month, dimension=dimension, value=value, count=n
    )


def test_the_family_knows_what_a_reader_knows_of_categories_and_standards():
    # Given a month of 6 concerns: 4 about patient safety, 3 about bullying (one is about
    # both), 2 bearing on standard 1.7
    org = OrganisationFactory().pk
    _month(org, "total", "", 6)
    _month(org, "category", "patient-safety", 4)
    _month(org, "category", "bullying-harassment", 3)
    _month(org, "standard", "1.7", 2)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    exact = family.family_exact(organisation_ids=[org], fy=2024, now=now)
    relations = family.family_relations_for(exact, [org], 2024)
    m = family.month_key(dt.date(2024, 5, 1))

    def k(dimension, value=""):
        return (m, org, dimension, value)

    # Then each value is at most the total (plus the concerns not about it, never shown) ...
    assert (
        k("total"),
        (k("category", "patient-safety"), k("untagged", "category:patient-safety")),
    ) in relations
    assert (k("total"), (k("standard", "1.7"), k("untagged", "standard:1.7"))) in relations
    assert exact[k("untagged", "category:patient-safety")] == 2
    # ... and the categories add up to the total or more (every concern has one)
    mentions = k("mentions", "category")
    assert (
        mentions,
        (k("category", "bullying-harassment"), k("category", "patient-safety")),
    ) in relations
    assert (mentions, (k("total"), k("mentions_over", "category"))) in relations
    assert exact[k("mentions_over", "category")] == 1
    # and none of those counts is ever published
    disclosed = family.family_disclose(
        organisation_ids=[org], fy=2024, now=now, rule=family.Disclosure()
    )
    assert not {key for key in disclosed.cells if key[2] in family.SLACKS}
    assert disclosed.cell(m, org, "category", "patient-safety").display == "*"


def test_a_category_counted_above_its_total_leaves_that_sum_out_not_the_report(caplog):
    # Given a rollup bug: more concerns about a category than concerns
    org = OrganisationFactory().pk
    _month(org, "total", "", 3)
    _month(org, "category", "patient-safety", 5)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    # When disclosed, the sum it breaks is left out (logged as a count), and the report stands
    disclosed = family.family_disclose(
        organisation_ids=[org], fy=2024, now=now, rule=family.Disclosure()
    )
    assert disclosed.cell(family.year_key(2024), org, "total").display == "*"
    assert "sums broken by the counts" in caplog.text


def test_an_organisations_cells_in_a_family_of_several_are_its_own_familys():
    # Given two organisations, only one of which has concerns about bullying
    first, second = OrganisationFactory().pk, OrganisationFactory().pk
    for org, category in ((first, "patient-safety"), (second, "bullying-harassment")):
        _month(org, "total", "", 3)
        _month(org, "category", category, 3)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    both = family.family_exact(organisation_ids=[first, second], fy=2024, now=now)
    # Then each one's counts taken from the family of both are its own family's, exactly (so
    # the audit a committee of both settles each organisation with is that committee's own)
    for org in (first, second):
        alone = family.family_exact(organisation_ids=[org], fy=2024, now=now)
        assert family.own_exact(both, org) == alone


def test_another_process_reads_a_family_of_several_without_auditing_any_of_them(monkeypatch):
    # Given the family of two organisations, audited (each one's own family first) and kept
    first, second = OrganisationFactory().pk, OrganisationFactory().pk
    for org, n in ((first, 22), (second, 1)):
        _month(org, "total", "", n)
        _month(org, "route", "anonymous", n)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    rule = family.Disclosure()
    audited = family.family_disclose(organisation_ids=[first, second], fy=2024, now=now, rule=rule)
    family._audited.cache_clear()  # another process: nothing in its memory

    def no_audit(*args, **kwargs):
        raise AssertionError("audited again")

    # When another process reads it, then neither it nor either organisation is audited again
    monkeypatch.setattr(family, "protect", no_audit)
    again = family.family_disclose(organisation_ids=[first, second], fy=2024, now=now, rule=rule)
    assert again.cells == audited.cells


def _still_open(org, month, n):
    """``n`` concerns raised in ``month`` and still open: the month's rows, and its
    financial year's "still open" row (what "open now" adds up)."""
    for dimension, value in (
        ("total", ""),
        ("route", "open"),
        ("status", "received"),
        ("response", "open"),
    ):
        _month(org, dimension, value, n, month)
    first = dt.date(month.year if month.month >= 4 else month.year - 1, 4, 1)
    MonthlyCount.objects.create(
        organisation_id=org, grain="year", month=first, dimension="response", value="open", count=n
    )


def test_the_families_of_one_request_read_today_and_each_year_once(django_assert_num_queries):
    # Given two organisations with cases still open in two financial years
    first, second = OrganisationFactory().pk, OrganisationFactory().pk
    for org in (first, second):
        for month in (dt.date(2023, 6, 1), dt.date(2024, 6, 1)):
            _still_open(org, month, 9)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    rule = family.Disclosure()
    reads = family.Reads((first, second), now)
    ids = [second, first]
    # When a dashboard discloses both years' families (audited once before)
    for fy in (2024, 2023):
        family.family_disclose(organisation_ids=ids, fy=fy, now=now, rule=rule)
    family._audited.cache_clear()
    # Then today's caseload is read once, the years with open cases once, and each year's
    # rows once, whichever year it asks for first (each year is audited to decide whether
    # today's caseload of both is withheld; from the cache here)
    with django_assert_num_queries(2 + 1 + 2):
        for fy in (2024, 2023, 2024):
            family.family_disclose(organisation_ids=ids, fy=fy, now=now, rule=rule, reads=reads)
    assert reads.today_withheld is False
    # And reads for another set of organisations are refused
    with pytest.raises(ValueError, match="one set"):
        family.family_disclose(organisation_ids=[first], fy=2024, now=now, rule=rule, reads=reads)


def test_open_from_other_years_is_known_as_those_years_reports_show_it():
    # Given an organisation with 9 cases still open from 2023/24 and 3 from 2024/25
    org = OrganisationFactory().pk
    for month, n in ((dt.date(2023, 6, 1), 9), (dt.date(2024, 6, 1), 3)):
        _still_open(org, month, n)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    # When 2024/25's family is read
    exact = family.family_exact(organisation_ids=[org], fy=2024, now=now)
    relations = family.family_relations_for(exact, [org], 2024)
    # Then open now (12) is this year's 3 and the 9 from other years, and those are 2023/24's
    # "still open" (shown 10 there: 8 to 12), not only "some" (open now's 8 to 12 less
    # this year's `*`: 1 to 11)
    other = (family.NOW, org, family.OTHER_YEARS, "")
    shown = (family.NOW, org, family.OPEN_IN, "2023")
    assert exact[(family.NOW, org, "open_now", "")] == 12
    assert exact[other] == 9 and exact[shown] == 9
    assert (other, (shown,)) in relations
    rule = family.Disclosure()
    boxes = {k: box_of(rule.count(n), rule) for k, n in exact.items()}
    boxes[other] = Box(1, 10**9)  # never shown: known only not to be 0
    alone = [r for r in relations if r[0] != other]  # open now less this year's, only
    assert propagate(boxes, alone)[other] == Box(1, 11)
    assert propagate(boxes, relations)[other] == Box(8, 11)
    # And the family of 2023/24 knows 2024/25's 3 the same way
    earlier = family.family_exact(organisation_ids=[org], fy=2023, now=now)
    assert earlier[(family.NOW, org, family.OPEN_IN, "2024")] == 3
    assert (family.NOW, org, family.OPEN_IN, "2023") not in earlier


def test_a_year_whose_earlier_years_pin_a_count_nothing_of_its_own_frees_is_withheld():
    # Given one organisation's year audited with an earlier one, where every way of
    # withholding some of its own cells leaves a count pinned (an audit that says so
    # unless every cell of the year is a count never shown, or nothing is settled)
    year = family.year_key(2024)
    exact = {
        (year, 1, "total", ""): 9,
        (year, 1, "route", "open"): 9,
        (year, 1, "route", "anonymous"): 0,
        (family.NOW, 1, "open_now", ""): 12,
    }
    own = frozenset(k for k, n in exact.items() if n and k[0] != family.NOW)

    def audit(*, slack, fixed=None):
        if fixed is not None and not own <= slack:  # afresh (no cells settled): it ends
            raise NothingToWithhold("pinned")
        return {}

    # When the fallbacks are tried
    cells, apart = family._audit(audit, exact, frozenset(), {}, False, True)
    # Then every cell of the year that is not 0 is withheld outright, today's caseload is not
    assert apart == family.APART_YEAR
    assert {k for k, c in cells.items() if c.withheld} == own
    # and the kept answer reads the same
    assert family._unseen(exact, frozenset(), family.APART_YEAR, False) == own
    # And a family not joined with earlier years never withholds its year so
    cells, apart = family._audit(audit, exact, frozenset(), {}, False, False)
    assert apart == family.APART_AFRESH
    assert not any(c.withheld for c in cells.values())


def test_a_year_with_cases_still_open_is_audited_with_the_earlier_ones_read_once():
    # Given an organisation with cases still open from 2023/24 and 2024/25
    org = OrganisationFactory().pk
    for month in (dt.date(2023, 6, 1), dt.date(2024, 6, 1)):
        _still_open(org, month, 9)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    reads = family.Reads((org,), now)
    # Then 2024/25 is audited with 2023/24, 2023/24 alone, and a year with none still
    # open alone too (nothing ties it to the others)
    assert [year for year, _ in reads.other_years(2024)] == [2023]
    assert reads.other_years(2023) == ()
    assert reads.other_years(2025) == ()
    # And for several organisations, each year with cases still open is audited with every
    # other such year (the later ones: their organisations' cells)
    other = OrganisationFactory().pk
    _still_open(other, dt.date(2024, 6, 1), 2)
    several = family.Reads(tuple(sorted((org, other))), now)
    assert [year for year, _ in several.other_years(2023)] == [2024]
    assert [year for year, _ in several.other_years(2024)] == [2023]
    # And another request's reads of the same figures are the same object (so the audit's
    # memo compares its keys at once), equal to the figures as a plain tuple
    again = family.Reads((org,), now).exact_items(2024)
    assert again is reads.exact_items(2024)
    assert again == tuple(again) and hash(again) == hash(tuple(again))
