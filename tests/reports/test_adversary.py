"""Attacks on the committee figures (issue 13): nothing a committee member can see, in any
report they can choose, pins a `*`; and the figures say nothing the disclosed table does not.

Data sets are small and random (hypothesis), loaded as rollup rows; every figure comes from
the real report code (``dashboard_build``, the page, the API and the exports).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
from collections import Counter
from dataclasses import replace

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings as django_settings
from django.core.cache import cache
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from concerns.roles import Role
from reports import family, tasks
from reports.disclosure import Disclosure
from reports.family import ALL, NOW, family_disclose
from reports.protection import FiguresInconsistent, box_of, candidates, propagate, protect
from tests.factories import make_user
from tests.reports import adversary

pytestmark = pytest.mark.django_db

RULE = Disclosure(suppress_up_to=7, round_to=5)
RULES = django_settings.SPEAKUP_DISCLOSURE  # the policy (with the audit's limits)
EXAMPLES = settings(
    # ADVERSARY_EXAMPLES=500 (say) attacks harder, locally; ADVERSARY_RANDOM=1 draws fresh
    # data sets instead of the same ones every run.
    max_examples=int(os.environ.get("ADVERSARY_EXAMPLES", "12")),
    derandomize=not os.environ.get("ADVERSARY_RANDOM"),
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Mostly small counts (where `*` lives), some zeros, some larger.
count = st.one_of(st.just(0), st.integers(1, 4), st.integers(0, 12))
# Sparser, for data sets with twice the atoms (open and closed): mostly zeros and small.
sparse = st.one_of(st.just(0), st.just(0), st.integers(1, 2), st.integers(0, 6))


# --- the auditor on its own ------------------------------------------------------------------


def test_three_parts_and_a_total_would_pin_a_star_so_one_more_is_withheld():
    # Given a total of 22 over parts 1, 8 and 13 (shown 20 over *, 10 and 15): 22 - 8 - 13
    # leaves the * only 1, as 20 + 2 - (10 - 2) - (15 - 2) = 1.
    exact = {"total": 22, "a": 1, "b": 8, "c": 13}
    relations = [("total", ("a", "b", "c"))]
    naive = {k: RULE.count(n) for k, n in exact.items()}
    boxes = propagate({k: box_of(c, RULE) for k, c in naive.items()}, relations)
    assert candidates(boxes["a"], RULE) == 1  # the attack works on the plain rule
    # When audited, another part is withheld as well: not 10 (a withheld cell is still known
    # to be above 7, so a <= 22 - 8 - 13 would hold), but 15 (then a <= 22 - 8 - 8 = 6)
    cells = protect(exact, relations, RULE)
    assert cells["a"].display == "*" and cells["b"].display == "10"
    assert cells["c"].display == "x" and cells["total"].display == "20"
    boxes = propagate({k: box_of(c, RULE) for k, c in cells.items()}, relations)
    assert candidates(boxes["a"], RULE) >= 2


def test_figures_settled_elsewhere_are_kept_as_they_are_and_another_is_withheld():
    # Given the example above, with 15 already shown to another committee (settled, shown)
    exact = {"total": 22, "a": 1, "b": 8, "c": 13}
    relations = [("total", ("a", "b", "c"))]
    cells = protect(exact, relations, RULE, fixed={"c": False})
    # When audited, 15 stays and the total is withheld instead (withholding the 10 would
    # still leave a <= 22 - 8 - 13 = 1)
    assert cells["c"].display == "15" and cells["total"].display == "x"
    boxes = propagate({k: box_of(c, RULE) for k, c in cells.items()}, relations)
    assert candidates(boxes["a"], RULE) >= 2


def test_the_issue_example_no_longer_pins_open():
    # "Open *, Confidential 10 (89%), Total 10" pinned Open to 1: percentages are now of the
    # disclosed counts, so Confidential reads 10 of 10 whatever Open is.
    cells = {
        n: protect({"total": n + 8, "open": n, "conf": 8}, [("total", ("open", "conf"))], RULE)
        for n in (1, 2, 3, 4)
    }
    shown = {
        n: (c["open"].display, c["conf"].display, c["total"].display) for n, c in cells.items()
    }
    assert set(shown.values()) == {("*", "10", "10")}
    shares = {RULE.share(c["conf"], c["total"]).display for c in cells.values()}
    assert shares == {"100%"}


def test_figures_that_break_their_sums_are_refused_not_published():
    with pytest.raises(FiguresInconsistent):
        protect({"total": 30, "a": 3, "b": 4}, [("total", ("a", "b"))], RULE)


@given(st.lists(st.integers(0, 30), min_size=2, max_size=6))
def test_any_breakdown_leaves_every_star_two_values(parts):
    exact = {"total": sum(parts), **{f"p{i}": n for i, n in enumerate(parts)}}
    relations = [("total", tuple(f"p{i}" for i in range(len(parts))))]
    cells = protect(exact, relations, RULE)
    boxes = propagate({k: box_of(c, RULE) for k, c in cells.items()}, relations)
    for key, cell in cells.items():
        if cell.suppressed and not cell.withheld:
            assert candidates(boxes[key], RULE) >= 2, (key, parts, cells)
        # every box still holds the truth
        assert boxes[key].lo <= exact[key] <= boxes[key].hi


# --- no pinning, across every report a member can choose --------------------------------------


@pytest.fixture
def member(org, other_org):
    return make_user(Role.COMMITTEE, org, other_org, username="carla")


@pytest.fixture
def members_alone(org, other_org):
    """A committee member of each organisation alone."""
    ordered = sorted((org, other_org), key=lambda o: o.pk)  # as org_ids are
    return [make_user(Role.COMMITTEE, o, username=f"alone{n}") for n, o in enumerate(ordered)]


@settings(EXAMPLES, phases=[Phase.explicit, Phase.generate])
@given(data=st.data())
def test_no_star_can_be_pinned_from_every_report_a_member_can_choose(member, org, other_org, data):
    # Given a random small data set over two organisations and four months, each concern
    # still open or closed
    org_ids = sorted([org.pk, other_org.pk])
    n = adversary.atom_count(org_ids, adversary.STATUSES)
    values = data.draw(st.lists(sparse, min_size=n, max_size=n))
    atoms = adversary.atoms_for(org_ids, values, adversary.STATUSES)
    adversary.load(atoms)
    # When an attacker reads every report the member can choose (each organisation and
    # both together; the year, its quarters and months) and solves for the exact counts
    attacker, stars = _attack(member, org_ids, atoms)
    # then every figure seen allows the truth, and every `*` can still be at least one other
    # value in 1 to 7 as well (an `x` over one: another value at all)
    assert attacker.feasible(frozenset(atoms), 0, math.inf)
    assert not _pinned(attacker, stars)


@settings(EXAMPLES, phases=[Phase.explicit, Phase.generate])
@given(data=st.data())
def test_no_star_can_be_pinned_with_the_categories_table_too(member, org, other_org, data):
    # Given a random small data set whose concerns are about one or both of two categories
    # (a reader knows each concern has at least one, and is counted once in each of its own)
    org_ids = sorted([org.pk, other_org.pk])
    n = adversary.tagged_atom_count(org_ids)
    atoms = adversary.tagged_atoms_for(org_ids, data.draw(st.lists(count, min_size=n, max_size=n)))
    adversary.load(atoms)
    # When the attacker reads the categories beside every other table of every report
    attacker, stars = _attack(member, org_ids, atoms)
    # Then no small count is pinned
    assert not _pinned(attacker, stars)


@pytest.mark.parametrize("years", [1, 2])
@settings(EXAMPLES, phases=[Phase.explicit, Phase.generate])
@given(data=st.data())
def test_no_star_can_be_pinned_by_committees_comparing_notes(
    member, org, other_org, members_alone, years, data
):
    # Given a random small data set (over one financial year, or two with cases still
    # open from both), and a committee member of each organisation alone beside the
    # member of both (a regional committee): each organisation's cells are shown to its
    # own committee and, with the cells of both together, to the region
    org_ids = sorted([org.pk, other_org.pk])
    months = adversary.MONTHS if years == 1 else [*adversary.EARLIER, *adversary.MONTHS]
    n = adversary.atom_count(org_ids, adversary.STATUSES, months)
    values = data.draw(st.lists(sparse, min_size=n, max_size=n))
    atoms = adversary.atoms_for(org_ids, values, adversary.STATUSES, months)
    adversary.load(atoms)
    # When an attacker reads every report all three can choose
    views = [(member, org_ids), *((m, [o]) for m, o in zip(members_alone, org_ids, strict=True))]
    attacker, stars = _attack(views, org_ids, atoms)
    # Then no small count is pinned
    assert not _pinned(attacker, stars)


# A data set hypothesis found (two organisations, 2023/24 and 2024/25, cases still open from
# both) on which each year audited on its own left every `*` two values, and an attacker
# reading both years' reports pinned two of 2023/24's.
TWO_YEARS_GAP = [
    2,
    0,
    0,
    0,
    1,
    1,
    0,
    0,
    0,
    4,
    0,
    2,
    0,
    1,
    3,
    4,
    1,
    1,
    0,
    0,
    2,
    4,
    0,
    1,
    0,
    6,
    0,
    0,
    2,
    0,
    0,
    0,
    5,
    2,
    6,
    0,
    0,
    2,
    5,
    0,
    2,
    2,
    1,
    0,
    2,
    2,
    1,
    0,
    0,
    4,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    3,
    5,
    2,
    4,
    2,
    0,
    3,
    0,
    2,
    0,
    1,
    1,
    1,
    0,
    0,
    0,
    1,
    5,
    6,
    0,
    6,
    1,
    0,
    0,
    0,
    6,
    0,
    0,
    1,
    1,
    2,
    0,
    4,
    0,
    0,
    0,
    1,
    4,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    3,
    0,
    0,
    1,
    6,
    5,
    3,
    1,
    6,
    1,
    0,
    1,
    0,
    1,
    5,
    0,
    5,
    1,
    1,
    1,
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    2,
    1,
    0,
    4,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    6,
    2,
    3,
    2,
    0,
    0,
    4,
    2,
    0,
    0,
    0,
    0,
    2,
    0,
    0,
    0,
    2,
    4,
    0,
    2,
    0,
    2,
    2,
    0,
    0,
    1,
    1,
    0,
    2,
    2,
    0,
    0,
    0,
    0,
    2,
    0,
    5,
    0,
    0,
    0,
    5,
    5,
    0,
    0,
    3,
    0,
    6,
    0,
    0,
    4,
    0,
    0,
    0,
    5,
    2,
    6,
    2,
    5,
    0,
    0,
    3,
    0,
    4,
    0,
    0,
    2,
    1,
]


def test_the_two_year_data_set_hypothesis_found_pins_nothing(member, org, other_org, monkeypatch):
    # Given the data set over two years that pinned a count of the earlier one
    org_ids = sorted([org.pk, other_org.pk])
    months = [*adversary.EARLIER, *adversary.MONTHS]
    atoms = adversary.atoms_for(org_ids, TWO_YEARS_GAP, adversary.STATUSES, months)
    adversary.load(atoms)
    # When the attacker reads every report of both years, each year audited with the
    # earlier years (2024/25 with 2023/24's cells as its own family shows them)
    attacker, stars = _attack(member, org_ids, atoms)
    # Then nothing is pinned
    assert not _pinned(attacker, stars)
    # But each year audited on its own, as before, the same attacker pins a count
    monkeypatch.setattr(family.Reads, "other_years", lambda self, fy: ())
    _forget_audits()
    attacker, stars = _attack(member, org_ids, atoms)
    assert _pinned(attacker, stars)


@pytest.mark.parametrize("joined", ["whole", "by propagation"])
@settings(EXAMPLES, phases=[Phase.explicit, Phase.generate])
@given(data=st.data())
def test_no_star_can_be_pinned_from_the_reports_of_two_years_with_cases_still_open(
    member, org, other_org, settings, joined, data
):
    # Given a random small data set over two organisations and two financial years, with
    # cases still open from both (so today's caseload ties each year's "still open" to the
    # other's)
    org_ids = sorted([org.pk, other_org.pk])
    months = [*adversary.EARLIER, *adversary.MONTHS]
    n = adversary.atom_count(org_ids, adversary.STATUSES, months)
    values = data.draw(st.lists(sparse, min_size=n, max_size=n))
    atoms = adversary.atoms_for(org_ids, values, adversary.STATUSES, months)
    open_in = {a[1].year for a, v in atoms.items() if v and a[4] == "received"}
    assume(len(open_in) == 2)
    adversary.load(atoms)
    # (and, "by propagation", limits such that each year alone is checked by the request's
    # integer program and the years of both organisations together, larger, by propagation;
    # each organisation's own years together are still no larger than that)
    limit = RULES.exact_cells
    if joined == "by propagation":
        now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
        limit = max(
            family.published_size(dict(family.Reads(tuple(ids), now).exact_items(fy)))
            for ids in [*([o] for o in org_ids), org_ids]
            for fy in (2023, 2024)
        )
    settings.SPEAKUP_DISCLOSURE = replace(RULES, exact_cells=limit)
    _forget_audits()
    # When an attacker reads every report of both years, for each organisation and both
    attacker, stars = _attack(member, org_ids, atoms)
    # Then no small count of either year is pinned
    assert not _pinned(attacker, stars)


@settings(EXAMPLES, phases=[Phase.explicit, Phase.generate])
@given(data=st.data())
def test_a_cell_looks_the_same_in_every_family_and_year_that_shows_it(org, other_org, data):
    # Given a random small data set over two organisations and two financial years (each
    # year with cases still open audited with the earlier ones)
    org_ids = sorted([org.pk, other_org.pk])
    months = [*adversary.EARLIER, *adversary.MONTHS]
    n = adversary.atom_count(org_ids, adversary.STATUSES, months)
    values = data.draw(st.lists(sparse, min_size=n, max_size=n))
    adversary.load(adversary.atoms_for(org_ids, values, adversary.STATUSES, months))
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

    def shown(ids, fy):
        family = family_disclose(organisation_ids=ids, fy=fy, now=now, rule=RULE)
        return {key: cell.display for key, cell in family.cells.items()}

    for fy in (2023, 2024):
        # When each organisation's own family, and the family of both, are disclosed
        both = shown(org_ids, fy)
        for o in org_ids:
            alone = shown([o], fy)
            # Then each organisation's cells read the same in both
            assert alone == {key: both[key] for key in alone}
    # And today's caseload reads the same in every financial year's reports
    for fy in (2023, 2022):
        other_year = shown(org_ids, fy)
        assert {k: v for k, v in both.items() if k[0] == NOW} == {
            k: v for k, v in other_year.items() if k[0] == NOW
        }


def _digits(text: str) -> list[int]:
    return [int(digit) for digit in text]


# Found by ADVERSARY_RANDOM=1 on the test above (open and closed concerns, one digit each).
# In each, each organisation's settled cells leave a count pinned by the cells of both
# together, with nothing of those left to withhold that frees it; both were audited afresh,
# and one organisation's quarter read 30 to its own committee and x to the region's. In the
# second, today's caseload of both together pins a count on its own as well, and it read x
# in 2024/25's reports and 90 in 2023/24's.
SETTLED_PIN = _digits(
    "010024220200000050110100410021210020005200012006050115000000030002000002"
    "442000003552002000001000060241112602001001502020025010001211000200424002"
)
SETTLED_PIN_BY_TODAY = _digits(
    "001001011200054001400004001020322000504000004100206600100001000000001055"
    "000006200020101240002122101100104200001200002060112020112221002200020000"
)


@pytest.mark.parametrize(
    ("case", "values"), [("year", SETTLED_PIN), ("today", SETTLED_PIN_BY_TODAY)]
)
def test_where_the_settled_cells_pin_a_count_the_cells_of_both_together_are_withheld(
    member, members_alone, org, other_org, caplog, monkeypatch, case, values
):
    # Given such a data set, over two organisations
    org_ids = sorted([org.pk, other_org.pk])
    atoms = adversary.atoms_for(org_ids, values, adversary.STATUSES)
    adversary.load(atoms)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

    def shown(ids, fy):
        disclosed = family_disclose(organisation_ids=ids, fy=fy, now=now, rule=RULE)
        return {key: cell.display for key, cell in disclosed.cells.items()}

    # When the family of both is disclosed
    both = shown(org_ids, 2024)
    assert "all together" in caplog.text  # the case this test is for
    # Then each organisation's cells read as its own family shows them
    for o in org_ids:
        alone = shown([o], 2024)
        assert alone == {key: both[key] for key in alone}
    # And every cell of both together is withheld (bar 0s), or where today's caseload of both
    # pins a count on its own, that is withheld, in every year's reports
    today = {v for (p, s, _, _), v in both.items() if s == ALL and p == NOW and v != "0"}
    together = {v for (p, s, _, _), v in both.items() if s == ALL and p != NOW and v != "0"}
    assert {"year": together, "today": today}[case] == {"x"}
    # And today's caseload reads the same in another year's reports
    other_year = shown(org_ids, 2023)
    assert {k: v for k, v in both.items() if k[0] == NOW} == {
        k: v for k, v in other_year.items() if k[0] == NOW
    }
    # And another process reads that answer from the cache without auditing again
    family._audited.cache_clear()
    monkeypatch.setattr(family, "protect", _no_audit)
    assert shown(org_ids, 2024) == both
    monkeypatch.undo()
    # And no committee comparing notes with the others pins a small count
    views = [(member, org_ids), *((m, [o]) for m, o in zip(members_alone, org_ids, strict=True))]
    assert not _pinned(*_attack(views, org_ids, atoms))


def _no_audit(*args, **kwargs):
    raise AssertionError("audited again")


# --- invariance: the same disclosed table, the same bytes -------------------------------------


def _disclosed(atoms, org_ids):
    """The primary disclosure of every sum the reports can show (what must match)."""
    by: Counter = Counter()
    for (o, m, route, role, _), n in atoms.items():
        for key in (("route", route), ("role", role), ("total", "")):
            by[(o, m, *key)] += n
    keys = [("total", "")] + [("route", v) for v in adversary.ROUTES]
    keys += [("role", v) for v in adversary.ROLES]
    shown = {}
    for orgs in [*[(o,) for o in org_ids], tuple(org_ids)]:
        for period in adversary.periods(atoms):
            for key in keys:
                n = sum(by[(o, m, *key)] for o in orgs for m in period.months)
                shown[(orgs, period.first_month, period.kind, key)] = RULE.count(n).display
    return shown


def _a_move(atoms, org_ids, rnd):
    """A data set one concern away (moved within its organisation-month, added or taken
    away) whose disclosed table is the same, if one is found among 300 tries."""
    before = _disclosed(atoms, org_ids)
    keys = list(atoms)
    tries = [(a, b) for a in keys for b in keys if a[:2] == b[:2] and a != b]
    tries += [(a, None) for a in keys] + [(None, b) for b in keys]
    rnd.shuffle(tries)
    for a, b in tries[:300]:
        if a is not None and not atoms[a]:
            continue
        other = dict(atoms)
        if a is not None:
            other[a] -= 1
        if b is not None:
            other[b] += 1
        if _disclosed(other, org_ids) == before:
            return other
    return None


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _outputs(client, query: str, *, csv: bool) -> dict[str, object]:
    """Everything a committee member can take away for one report (``csv``: each table's
    CSV too, which the XLSX holds as well)."""
    page = client.get(f"/reports/?{query}")
    assert page.status_code == 200
    html = CSRF.sub("", page.content.decode())
    out: dict[str, object] = {"page": html}
    out["api"] = client.get(f"/api/v1/reports/dashboard/?{query}").content
    for key in re.findall(r'id="table-([a-z_]+)"', html) if csv else ():
        out[f"csv:{key}"] = client.get(f"/reports/export/{key}.csv?{query}").content
    book = load_workbook(io.BytesIO(client.get(f"/reports/export.xlsx?{query}").content))
    out["xlsx"] = [
        (sheet.title, [(c.value, c.number_format) for row in sheet.iter_rows() for c in row])
        for sheet in book.worksheets
    ]
    reader = PdfReader(io.BytesIO(client.get(f"/reports/board-pack.pdf?{query}").content))
    out["pdf"] = [page.extract_text() for page in reader.pages]
    return out


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_two_data_sets_with_the_same_disclosed_table_give_the_same_outputs(
    client, member, org, other_org, data
):
    # Given a random data set, and another one concern away with the same disclosed table
    org_ids = sorted([org.pk, other_org.pk])
    values = data.draw(
        st.lists(
            count, min_size=adversary.atom_count(org_ids), max_size=adversary.atom_count(org_ids)
        )
    )
    first = adversary.atoms_for(org_ids, values)
    second = _a_move(first, org_ids, data.draw(st.randoms(use_true_random=False)))
    assume(second is not None)
    changed = next(a for a in first if first[a] != second[a])
    client.force_login(member)
    queries = [
        "period=year&year=2024",  # all organisations
        f"period=quarter&quarter=2024-Q1&org={changed[0]}",
        f"period=month&month={changed[1]:%Y-%m}&org={changed[0]}",
    ]
    # When every output of those reports is taken from each
    adversary.load(first)
    before = {q: _outputs(client, q, csv=q == queries[0]) for q in queries}
    adversary.load(second)
    after = {q: _outputs(client, q, csv=q == queries[0]) for q in queries}
    # then they are the same, byte for byte (the PDF's text: its file carries a timestamp)
    for q in queries:
        for name in before[q]:
            assert before[q][name] == after[q][name], (q, name)


# A data set hypothesis found on which an integer program over every report pinned a `*`
# that bounds propagation (each sum on its own) left two values. The audit now checks its
# answer with an integer program over the whole family, so the attacker's must fail too.
GAP = [0] * 22 + [1, 0, 0, 0, 0, 3, 0, 4] + [0] * 10 + [1, 1, 2, 0, 4, 0, 0, 0, 0, 1]
GAP += [0] * (72 - len(GAP))


def _attack(members, org_ids, atoms) -> tuple[adversary.Attacker, dict]:
    """The integer-program attacker, having seen every report each member can choose (a
    member of ``org_ids``, or several comparing notes: (member, their organisations)); and
    each small count shown: its truth, and whether it is shown as a `*` anywhere (else it
    is an ``x`` everywhere). Every figure must allow the truth."""
    attacker = adversary.Attacker(list(atoms))
    stars: dict[frozenset, tuple[int, bool]] = {}
    members = members if isinstance(members, list) else [(members, org_ids)]
    views = [(member, orgs) for member, ids in members for orgs in adversary.choices(ids)]
    for member, orgs in views:
        for period in adversary.periods(atoms):
            dashboard = adversary.build(member, period, orgs)
            figures = adversary.published(dashboard, orgs, period, atoms)
            blanket = adversary.withheld_together(figures, orgs, atoms, period)
            today = next(r for r in dashboard.tables["response"].rows if r.key == "open_now")
            for group, cell in figures:
                truth = sum(atoms[a] for a in group)
                lo, hi = adversary.box(cell, truth)
                assert lo <= truth <= hi, (cell, truth)  # every figure tells the truth
                # today's caseload of several organisations is withheld only outright
                this_year = adversary.in_year(group, period)
                outright = (blanket and this_year) or (len(orgs) > 1 and cell is today.cells[0])
                attacker.see(group, cell, truth, blanket=outright)
                if cell.suppressed and truth <= RULE.suppress_up_to:  # `*`, or `x` over one
                    shown_star = not cell.withheld or stars.get(group, (0, False))[1]
                    stars[group] = (truth, shown_star)
    return attacker, stars


def _pinned(attacker: adversary.Attacker, stars: dict) -> list[tuple[int, list]]:
    """The small counts the attacker pins: each one's truth and atoms."""
    return [
        (truth, sorted(group))
        for group, (truth, shown_star) in stars.items()
        if not attacker.other_value(group, truth, shown_star=shown_star)
    ]


def test_the_known_gap_between_the_audit_and_an_integer_program(member, org, other_org):
    org_ids = sorted([org.pk, other_org.pk])
    atoms = adversary.atoms_for(org_ids, GAP)
    adversary.load(atoms)
    assert not _pinned(*_attack(member, org_ids, atoms))


# Found by ADVERSARY_RANDOM=1 ADVERSARY_EXAMPLES=60 (open and closed concerns), once taken
# for a sum missing from the family: one organisation's July concerns (7) are withheld as
# ``x`` and every figure together shows them to be 7 or more. The attacker had asked for a
# second value in 1 to 7, as for a `*`; but an ``x`` looks the same over a rounded figure,
# so a reader cannot tell 7 from 8 or more, which the figures allow (and a total of seven
# `*` parts is 7 or more whatever is withheld: two values in 1 to 7 cannot always be kept).
GAP_CLOSED = [
    0,
    2,
    0,
    1,
    1,
    0,
    0,
    2,
    2,
    0,
    2,
    0,
    0,
    0,
    1,
    0,
    1,
    0,
    2,
    4,
    0,
    1,
    4,
    0,
    0,
    0,
    1,
    0,
    0,
    5,
    0,
    0,
    2,
    0,
    2,
    5,
    0,
    1,
    0,
    0,
    1,
    0,
    2,
    2,
    1,
    0,
    5,
    3,
    3,
    2,
    0,
    1,
    1,
    2,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    3,
    0,
    0,
    6,
    2,
    0,
    0,
    0,
    0,
    1,
    2,
    0,
    2,
    0,
    4,
    2,
    0,
    2,
    2,
    0,
    1,
    0,
    0,
    0,
    1,
    1,
    0,
    0,
    0,
    1,
    2,
    0,
    0,
    2,
    0,
    2,
    4,
    0,
    1,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    3,
    0,
    0,
    0,
    0,
    0,
    1,
    1,
    0,
    0,
    0,
    0,
    0,
    6,
    2,
    2,
    0,
    2,
    0,
    0,
    0,
    0,
    0,
    0,
    4,
    0,
    0,
    0,
    0,
    1,
    0,
    4,
    1,
    1,
    0,
    0,
]


def test_a_withheld_star_shown_to_be_seven_or_more(member, org, other_org):
    org_ids = sorted([org.pk, other_org.pk])
    atoms = adversary.atoms_for(org_ids, GAP_CLOSED, adversary.STATUSES)
    adversary.load(atoms)
    assert not _pinned(*_attack(member, org_ids, atoms))


# --- a family too large for the request's integer program: checked on the worker ----------


def _forget_audits():
    """Nothing audited in this process's memory or in the cache (another deployment)."""
    family._audited.cache_clear()
    cache.clear()


def _too_large_for_the_request(org_ids, settings, *, beyond_the_worker: bool) -> dt.datetime:
    """The GAP data set over ``org_ids``, with limits such that each organisation's own
    family is checked in the request and the family of them all is not: it is for the
    worker, or (``beyond_the_worker``) too large for it as well. Nothing audited yet."""
    adversary.load(adversary.atoms_for(org_ids, GAP))
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    alone, both = _sizes(org_ids, now)
    limits = {"exact_cells": max(alone), "background_cells": both - beyond_the_worker}
    settings.SPEAKUP_DISCLOSURE = replace(settings.SPEAKUP_DISCLOSURE, **limits)
    _forget_audits()
    return now


def _kept(org_ids, now) -> dict:
    """The answer kept in the cache for the family of ``org_ids`` in 2024/25."""
    items = family.Reads(tuple(org_ids), now).exact_items(2024)
    return cache.get(family._audit_cache_key(tuple(org_ids), 2024, items, RULE, False))


def _sizes(org_ids, now):
    def size(ids):
        return family.published_size(dict(family.Reads(tuple(ids), now).exact_items(2024)))

    return [size([o]) for o in org_ids], size(org_ids)


def test_a_family_too_large_for_the_request_is_withheld_together_until_the_worker_checks_it(
    client, member, org, other_org, settings, monkeypatch
):
    # Given the data set on which only an integer program pins a `*` (GAP), and limits such
    # that each organisation's own family is checked in the request and the family of both
    # is too large for that, though not for the worker
    org_ids = sorted([org.pk, other_org.pk])
    atoms = adversary.atoms_for(org_ids, GAP)
    adversary.load(atoms)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    alone, both = _sizes(org_ids, now)
    policy = settings.SPEAKUP_DISCLOSURE
    settings.SPEAKUP_DISCLOSURE = replace(policy, exact_cells=max(alone), background_cells=both)
    asked = []
    monkeypatch.setattr(tasks.audit_family, "apply_async", lambda **kw: asked.append(kw))
    _forget_audits()

    def shown(ids):
        disclosed = family_disclose(organisation_ids=ids, fy=2024, now=now, rule=RULE)
        return disclosed, {key: cell.display for key, cell in disclosed.cells.items()}

    # When the family of both is read before the worker has checked it
    waiting, before = shown(org_ids)
    # Then it says so, the worker is asked once (ids, the year, the time, the rule: no
    # figures), and every cell of both together that is not 0 is withheld ...
    assert waiting.checking
    assert [kw["args"] for kw in asked] == [(org_ids, 2024, now.isoformat(), 7, 5)]
    assert {v for (_, o, _, _), v in before.items() if o == ALL} <= {"x", "0"}
    assert "x" in {v for (_, o, _, _), v in before.items() if o == ALL}
    # ... while each organisation's cells read as its own family (checked in full) shows them
    for o in org_ids:
        assert shown([o])[1] == {key: before[key] for key in shown([o])[1]}
    shown(org_ids)
    assert len(asked) == 1  # asked once while it waits
    # And no `*` can be pinned from every report the member can choose meanwhile
    assert not _pinned(*_attack(member, org_ids, atoms))
    # And the page, the API and the Board pack say that some figures are being checked
    client.force_login(member)
    year = "period=year&year=2024"
    page = client.get(f"/reports/?{year}").content.decode()
    assert "Some figures are still being checked" in page
    assert client.get(f"/api/v1/reports/dashboard/?{year}").json()["checking"] is True
    pack = PdfReader(io.BytesIO(client.get(f"/reports/board-pack.pdf?{year}").content))
    assert "still being checked" in " ".join(pack.pages[0].extract_text().split())
    # When the worker checks it (the task itself, in this process)
    tasks.audit_family(*asked[0]["args"])
    family._audited.cache_clear()
    checked, after = shown(org_ids)
    # Then it is no longer waiting, and reads as the integer program over the whole family,
    # in the request, would have it
    assert not checked.checking
    page = client.get(f"/reports/?{year}").content.decode()
    assert "Some figures are still being checked" not in page
    settings.SPEAKUP_DISCLOSURE = policy
    _forget_audits()
    assert shown(org_ids)[1] == after
    # And no `*` can be pinned from every report
    settings.SPEAKUP_DISCLOSURE = replace(policy, exact_cells=max(alone), background_cells=both)
    assert not _pinned(*_attack(member, org_ids, atoms))


def test_a_family_too_large_to_ask_as_a_whole_leaves_no_star_pinned_once_the_worker_checks_it(
    member, org, other_org, settings, monkeypatch
):
    # Given the data set on which only an integer program pins a `*` (GAP), a family of both
    # for the worker, and too large for its program to ask as a whole (REPORTS_PROOF_CELLS):
    # what it cannot free asking less than the whole is withheld as if pinned
    org_ids = sorted([org.pk, other_org.pk])
    atoms = adversary.atoms_for(org_ids, GAP)
    adversary.load(atoms)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    alone, both = _sizes(org_ids, now)
    limits = {"exact_cells": max(alone), "background_cells": both, "proof_cells": 0}
    settings.SPEAKUP_DISCLOSURE = replace(settings.SPEAKUP_DISCLOSURE, **limits)
    asked = []
    monkeypatch.setattr(tasks.audit_family, "apply_async", lambda **kw: asked.append(kw))
    _forget_audits()
    family_disclose(organisation_ids=org_ids, fy=2024, now=now, rule=RULE)
    # When the worker checks it (the task itself, in this process)
    tasks.audit_family(*asked[0]["args"])
    family._audited.cache_clear()
    checked = family_disclose(organisation_ids=org_ids, fy=2024, now=now, rule=RULE)
    # Then it is checked, and no `*` can be pinned from every report the member can choose
    assert not checked.checking
    assert not _pinned(*_attack(member, org_ids, atoms))


@settings(EXAMPLES, phases=[Phase.explicit, Phase.generate])
@given(data=st.data())
def test_no_star_can_be_pinned_by_committees_comparing_notes_while_the_worker_checks(
    member, org, other_org, members_alone, data, monkeypatch
):
    # Given a random small data set, limits such that the family of both waits for the
    # worker (which does not come), and a committee member of each organisation alone
    org_ids = sorted([org.pk, other_org.pk])
    n = adversary.atom_count(org_ids, adversary.STATUSES)
    values = data.draw(st.lists(sparse, min_size=n, max_size=n))
    atoms = adversary.atoms_for(org_ids, values, adversary.STATUSES)
    adversary.load(atoms)
    alone, both = _sizes(org_ids, dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assume(both > max(alone))
    limits = {"exact_cells": max(alone), "background_cells": both}
    monkeypatch.setattr(django_settings, "SPEAKUP_DISCLOSURE", replace(RULES, **limits))
    monkeypatch.setattr(tasks.audit_family, "apply_async", lambda **kw: None)
    _forget_audits()
    # When an attacker reads every report all three can choose
    views = [(member, org_ids), *((m, [o]) for m, o in zip(members_alone, org_ids, strict=True))]
    attacker, stars = _attack(views, org_ids, atoms)
    # Then no small count is pinned
    assert not _pinned(attacker, stars)


def test_a_family_the_worker_cannot_check_in_time_is_audited_by_propagation_not_waited_for(
    org, other_org, settings, monkeypatch
):
    # Given a family of two that waits for the worker
    org_ids = sorted([org.pk, other_org.pk])
    now = _too_large_for_the_request(org_ids, settings, beyond_the_worker=False)
    asked = []
    monkeypatch.setattr(tasks.audit_family, "apply_async", lambda **kw: asked.append(kw))
    assert family_disclose(organisation_ids=org_ids, fy=2024, now=now, rule=RULE).checking

    # When the worker's check runs out of time
    def too_slow(**kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(family, "family_audit_on_worker", too_slow)
    tasks.audit_family(*asked[0]["args"])
    # Then the family is no longer waited for: it is audited in the request by propagation
    # (as one beyond the limit), and the worker is not asked again
    family._audited.cache_clear()
    disclosed = family_disclose(organisation_ids=org_ids, fy=2024, now=now, rule=RULE)
    assert not disclosed.checking and len(asked) == 1
    assert _kept(org_ids, now)["exactly"] is False


def test_a_family_beyond_the_workers_limit_is_audited_in_the_request_by_propagation(
    org, other_org, settings, monkeypatch
):
    # Given a family of two too large even for the worker's limit
    org_ids = sorted([org.pk, other_org.pk])
    now = _too_large_for_the_request(org_ids, settings, beyond_the_worker=True)
    monkeypatch.setattr(tasks.audit_family, "apply_async", _no_audit)
    # When read, it is audited at once (the known gap: propagation alone), and kept as such
    disclosed = family_disclose(organisation_ids=org_ids, fy=2024, now=now, rule=RULE)
    assert not disclosed.checking
    assert _kept(org_ids, now)["exactly"] is False
