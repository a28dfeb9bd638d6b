"""The Board pack's first page and the dashboard's top: key messages, from disclosed tables.

(The dataset is tests/reports/conftest.py: 22 concerns in 2024/25 for organisation A, 2 in
March 2024, so the previous year shows "*".)"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from reports.disclosure import Cell
from reports.keymessages import TOO_FEW, change_of, key_messages_for, previous_period
from reports.periods import Period, financial_year, period_parse, quarter
from reports.selectors import report_figures, report_scope_for_user
from reports.tables import dashboard_build

pytestmark = pytest.mark.django_db

PACK = "/reports/board-pack.pdf"
STAR, X = Cell(None, suppressed=True), Cell(None, suppressed=True, withheld=True)


def _key(committee, **query):
    scope = report_scope_for_user(user=committee, period=period_parse(query))
    return key_messages_for(dashboard_build(scope=scope, figures=report_figures(scope=scope)))


def _first_page(content: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())


@pytest.mark.parametrize(
    ("now", "before", "said"),
    [
        (Cell(20), Cell(10), "Up 10"),
        (Cell(10), Cell(25), "Down 15"),
        (Cell(40, unit="%"), Cell(50, unit="%"), "Down 10 points"),
        (Cell(10), Cell(10), "No change"),
        (Cell(None, unit="%"), Cell(50, unit="%"), "No figure to compare"),
    ],
)
def test_a_change_is_worked_out_from_two_disclosed_figures(now, before, said):
    assert change_of(now, before) == said


@pytest.mark.parametrize(("now", "before"), [(STAR, Cell(10)), (Cell(10), X), (X, STAR)])
def test_a_star_or_x_is_never_compared(now, before):
    assert change_of(now, before) == TOO_FEW


def test_the_previous_period_is_the_one_of_the_same_kind_before():
    assert previous_period(financial_year(2024)) == financial_year(2023)
    assert previous_period(quarter(2024, 1)) == quarter(2023, 4)
    assert previous_period(quarter(2024, 3)) == quarter(2024, 2)
    may = dt.date(2024, 5, 1)
    assert previous_period(Period("month", may, may)).label == "April 2024"


def test_a_year_beside_a_year_of_few_concerns_says_too_few_to_show(dataset, committee):
    key = _key(committee, period="year", year="2024")

    assert key.previous == "Financial year 2023/24"
    raised = next(c for c in key.changes if c.label == "Concerns raised")
    assert (raised.now, raised.before, raised.change) == ("20", "*", TOO_FEW)
    for change in key.changes:  # nothing resting on a * or x is differenced
        if "*" in (change.now, change.before) or "x" in (change.now, change.before):
            assert change.change == TOO_FEW


def test_two_months_of_disclosed_counts_are_compared(dataset, committee):
    key = _key(committee, period="month", month="2024-06")

    raised = next(c for c in key.changes if c.label == "Concerns raised")
    # 10 in May, 9 in June: both round to 10, so the figures shown have not changed.
    assert (raised.now, raised.before, raised.change) == ("10", "10", "No change")


def test_special_causes_on_the_trend_are_named_by_month(dataset, committee):
    key = _key(committee, period="month", month="2025-03")

    assert key.trend[0] == "Special-cause variation over the 13 months to March 2025:"
    assert "May 2024 to Jun 2024: unusually high (beyond a process limit" in key.trend[1]
    assert key.trend[2] == "Jul 2024 to Mar 2025: unusually low (run of 7 on one side of the mean)."


def test_too_few_months_are_not_assessed(dataset, committee):
    key = _key(committee, period="month", month="2024-06")
    assert key.trend == (
        "Not assessed: the 4 months to June 2024 are too few for process limits (12 are needed).",
    )


def test_standard_1_7_and_domain_2_at_a_glance_hide_small_figures(dataset, committee):
    key = _key(committee, period="year", year="2024")

    glance = {g.label: g.value for g in key.standard_1_7}
    assert glance["Concerns raised"] == "20"
    assert glance["Raised anonymously"] == "50%"  # 10 of 20, as the route table shows
    assert glance["Detriment reported"] == TOO_FEW  # 2 concerns
    domain = {g.label: (g.standards, g.value) for g in key.domain_2}
    assert domain["Acknowledged within 2 working days"] == ("2.6", "50%")
    assert domain["Concerns raised"] == ("2.1, 2.4, 2.8", "20")
    assert domain["Overdue now"][1] == TOO_FEW
    assert not [g for g in key.standard_1_7 + key.domain_2 if g.value in ("*", "x")]


def test_the_board_packs_first_page_is_the_key_messages(client, dataset, committee):
    client.force_login(committee)
    page = _first_page(client.get(f"{PACK}?period=year&year=2024").content)

    assert page.index("Key messages") < page.index("What changed since Financial year 2023/24")
    assert "Concerns raised 20 * Too few to show" in page
    assert "Special causes on the trend" in page
    assert "Jul 2024 to Mar 2025: unusually low" in page
    assert "Standard 1.7 at a glance" in page and "Domain 2 at a glance" in page
    assert "Detriment reported 1.7 Too few to show" in page
    assert "About this pack" not in page  # the first page is the key messages alone


def test_the_dashboard_opens_with_the_same_key_messages(client, dataset, committee):
    client.force_login(committee)
    page = client.get("/reports/?period=year&year=2024").content.decode()

    top = page[: page.index("How these figures protect")]
    assert "Key messages" in top
    assert "What changed since Financial year 2023/24" in top
    assert "Too few to show" in top
    assert "Jul 2024 to Mar 2025: unusually low" in top
    assert "Standard 1.7 at a glance" in top and "Domain 2 at a glance" in top


def test_the_first_year_has_no_previous_period_to_compare(client, dataset, committee):
    client.force_login(committee)
    page = _first_page(client.get(f"{PACK}?period=year&year=2000").content)
    assert "Key messages" in page and "Financial year 1999/00" not in page
