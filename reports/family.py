"""The committee outputs one member can choose for a financial year, disclosed together.

A member chooses a financial year, one of its quarters or one of its months, and either one
of their organisations or all of them. Every count any of those reports shows is a cell of
one *family*: (period, organisation or "all", dimension, value). The family is disclosed as
one piece (``reports.protection``) with every sum a reader knows between its cells:

- within a report: each breakdown (route, role, professional group, status, department)
  adds up to the total; the open statuses to "still open"; referral routes to "referred";
  outcomes and "would you speak up again?" answers to their own totals; "closed with an
  outcome" is the closed status;
- across periods: the months of a quarter add up to it, the quarters to the year;
- across organisations: the organisations add up to "all";
- "open now" and "overdue now" (not tied to a period) add up across organisations;
- "open now" is the year's "still open" plus the cases still open from other years: a count
  never shown (``OTHER_YEARS``), the sum of every other year's "still open" as that year's
  reports show it (``OPEN_IN``); and a year with cases still open is audited with every
  earlier such year's cells as their own families show them, and their sums, so that the
  latest year's audit holds every year's figures together (``_joined``);
- a category or standard counts a concern once, so it is at most the total, and every
  concern has a category, so the categories add up to the total or more: sums through
  counts never shown and known only not to be below 0 (``SLACKS``).

So a `*` is protected against every figure of every report the member can ask for, and a
cell looks the same in every report that shows it. It also looks the same to every
committee: a family of several organisations takes each organisation's cells as that
organisation's own family shows them and audits only the cells of them all together
(``_settled``; where that cannot protect a count, those are all withheld: ``_audit``), and
today's caseload, shown in every financial year, is withheld in all of them or none
(``_today_withheld``).
Custom runs of months and arbitrary sets of organisations are not offered: each would add
sums (one run minus another is a month) the family could not cover. Percentages, medians,
SPC limits and charts are computed from these disclosed cells only (``reports.tables``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Min

from config import rules
from reports.disclosure import Cell, Disclosure
from reports.fastpaths import RollupSum, rollup_sum_sql
from reports.models import Grain, MonthlyCount, OpenCase
from reports.periods import financial_year, financial_year_of, quarter
from reports.protection import NothingToWithhold, Relation, protect, withhold
from workflow.models import OPEN_STATES

logger = logging.getLogger(__name__)
# Set while the worker audits (``family_audit_on_worker``): its integer-program limit.
_ON_WORKER: ContextVar[bool] = ContextVar("reports_audit_on_worker", default=False)

ALL = "all"
NOW = ("now",)  # "open now" / "overdue now": today's caseload, the same in every period
OTHER_YEARS = "open_other_years"  # open now, raised in another year: in sums, never shown
# (OPEN_IN, "2023"): still open from financial year 2023, as that year's reports show it
# ("still open"); in this family only as the parts of OTHER_YEARS, never withheld here
OPEN_IN = "open_in_year"
# Breakdowns in which every concern has exactly one value, so the values add up to the total.
PARTITIONS = ("route", "role", "group", "status", "department")
# Dimensions whose values add up to a total of their own, kept as (dimension, "*").
OWN_TOTALS = ("outcome", "speak_up_again", "referral")
# Dimensions in which a concern can have several values (or, for standards, none): a value
# counts a concern once, so it is at most the total; every concern has a category, so the
# categories add up to the total or more. A reader knows that much; the audit puts it as
# sums through counts never shown and known only not to be below 0 (``SLACKS``).
TAGGED = ("category", "standard")
UNTAGGED = "untagged"  # (UNTAGGED, "category:slug"): the concerns in the total not about it
MENTIONS = "mentions"  # (MENTIONS, "category"): the categories' counts added up
MENTIONS_OVER = "mentions_over"  # (MENTIONS_OVER, "category"): that, less the total
SLACKS = (UNTAGGED, MENTIONS, MENTIONS_OVER)

PeriodKey = tuple[Any, ...]
FamilyKey = tuple[Any, ...]  # (period key, organisation id or ALL, dimension, value)
ExactItems = tuple[tuple[FamilyKey, int], ...]


class Figures(tuple):  # type: ignore[type-arg]
    """A family's exact figures, sorted (``ExactItems``), with their hash worked out once:
    the audit's memo (``_audited``) hashes its arguments on every call, and a request
    passes the same figures to it many times (each year's, beside every later year's)."""

    def __hash__(self) -> int:
        kept: int | None = self.__dict__.get("hash")
        if kept is None:
            kept = self.__dict__["hash"] = super().__hash__()
        return kept


# The figures read lately, each kept once: a memo's key compared with one it holds finds
# the same object (compared at once) rather than an equal one (compared item by item).
# As many as the memo keeps (``_audited``), so it holds little the memo does not.
_FIGURES: dict[Figures, Figures] = {}


def _one_of(figures: Figures) -> Figures:
    if len(_FIGURES) >= 256:
        _FIGURES.clear()
    return _FIGURES.setdefault(figures, figures)


# The other financial years with cases still open, audited with a year (``_joined``):
# (year, its exact figures), oldest first (``Reads.other_years``)
OtherYears = tuple[tuple[int, ExactItems], ...]


def month_key(month: dt.date) -> PeriodKey:
    return ("m", month)


def quarter_key(fy: int, number: int) -> PeriodKey:
    return ("q", fy, number)


def year_key(fy: int) -> PeriodKey:
    return ("y", fy)


@dataclass(frozen=True)
class Family:
    fy: int
    organisation_ids: tuple[int, ...]
    cells: dict[FamilyKey, Cell]
    apart: int = 0  # how much of the cells of them all together is withheld outright (_audit)
    checking: bool = False  # shown so until the worker has checked it (``_checking``)

    def cell(self, period: PeriodKey, org: int | str, dimension: str, value: str = "") -> Cell:
        return self.cells.get((period, org, dimension, value)) or Cell(0)


# Open cases today, per organisation: the year rows' "response = open", over every year.
OPEN_NOW_SUMS = RollupSum(
    MonthlyCount,
    ("organisation_id",),
    str(Grain.YEAR),
    match=(("dimension", "response"), ("value", "open")),
)


def _month_rows(organisation_ids: Sequence[int], fy: int) -> list[tuple[Any, ...]]:
    """The year's monthly rows (ORM: as fast as the SQL it replaced, benchmarks/README.md)."""
    year = financial_year(fy)
    rows = MonthlyCount.objects.filter(
        organisation_id__in=list(organisation_ids),
        grain=Grain.MONTH,
        month__gte=year.first_month,
        month__lte=year.last_month,
    )
    return list(rows.values_list("organisation_id", "month", "dimension", "value", "count"))


def _now_rows(organisation_ids: Sequence[int], now: dt.datetime) -> dict[FamilyKey, int]:
    """Open and overdue cases today, per organisation."""
    out: dict[FamilyKey, int] = {}
    for org, n in rollup_sum_sql(spec=OPEN_NOW_SUMS, organisation_ids=organisation_ids):
        out[(NOW, org, "open_now", "")] = int(n)
    overdue = (
        OpenCase.objects.filter(organisation_id__in=list(organisation_ids), due_at__lt=now)
        .order_by()
        .values("organisation_id")
        .annotate(n=Count("pk"))
        .values_list("organisation_id", "n")
    )
    for org, n in overdue:
        out[(NOW, org, "overdue_now", "")] = int(n)
    return out


def _open_rows(organisation_ids: Sequence[int]) -> list[tuple[int, int, int]]:
    """Each organisation's cases still open, by the financial year they were raised in:
    (organisation, year, count), years with none left out."""
    rows = MonthlyCount.objects.filter(
        organisation_id__in=list(organisation_ids),
        grain=Grain.YEAR,
        dimension="response",
        value="open",
        count__gt=0,
    ).values_list("organisation_id", "month", "count")
    return sorted((org, financial_year_of(_as_date(month)), n) for org, month, n in rows)


def _as_date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def family_exact(
    *,
    organisation_ids: Sequence[int],
    fy: int,
    now: dt.datetime,
    now_rows: dict[FamilyKey, int] | None = None,
    open_rows: list[tuple[int, int, int]] | None = None,
) -> dict[FamilyKey, int]:
    """Exact counts of every cell of the family (never shown: ``family_disclose`` is);
    ``now_rows``, ``open_rows``: today's caseload and each year's cases still open, if read
    already (the same in every year)."""
    orgs = sorted(organisation_ids)
    several = len(orgs) > 1
    exact: dict[FamilyKey, int] = defaultdict(int)
    periods_of: dict[Any, tuple[PeriodKey, ...]] = {}  # a month's own, its quarter, the year
    for org, month, dimension, value, n in _month_rows(orgs, fy):
        if (periods := periods_of.get(month)) is None:
            first = _as_date(month)
            number = (first.month - 4) % 12 // 3 + 1
            periods = (month_key(first), quarter_key(fy, number), year_key(fy))
            periods_of[month] = periods
        own_total = dimension in OWN_TOTALS
        for target in (org, ALL) if several else (org,):
            for period in periods:
                exact[(period, target, dimension, value)] += n
                if own_total:
                    exact[(period, target, dimension, "*")] += n
    today = _now_rows(orgs, now) if now_rows is None else now_rows
    for (period, org, dimension, value), n in today.items():
        exact[(period, org, dimension, value)] += n
        if several:
            exact[(period, ALL, dimension, value)] += n
    for org in orgs:
        open_now = exact.get((NOW, org, "open_now", ""), 0)
        this_year = exact.get((year_key(fy), org, "response", "open"), 0)
        exact[(NOW, org, OTHER_YEARS, "")] = max(0, open_now - this_year)
    for org, year, n in _open_rows(orgs) if open_rows is None else open_rows:
        if year != fy:
            exact[(NOW, org, OPEN_IN, str(year))] = n
    _tag_slacks(exact)
    return dict(exact)


def _tag_slacks(exact: dict[FamilyKey, int]) -> None:
    """The counts behind what a reader knows of the tagged dimensions (``TAGGED``), for
    every report whose total is not 0 (never shown; in sums only)."""
    tags = sorted({(d, v) for (_, _, d, v), n in exact.items() if d in TAGGED and n})
    mentions: dict[tuple[Any, Any], int] = defaultdict(int)
    for (period, s, d, _), n in exact.items():
        if d == "category":
            mentions[(period, s)] += n
    totals = [(p, s, n) for (p, s, d, _), n in exact.items() if d == "total" and n]
    for period, s, total in totals:
        for d, v in tags:
            untagged = total - exact.get((period, s, d, v), 0)
            exact[(period, s, UNTAGGED, f"{d}:{v}")] = max(0, untagged)
        if any(d == "category" for d, _ in tags):
            exact[(period, s, MENTIONS, "category")] = mentions[(period, s)]
            over = mentions[(period, s)] - total
            exact[(period, s, MENTIONS_OVER, "category")] = max(0, over)


def family_relations(
    *, organisation_ids: Sequence[int], fy: int, keys: set[tuple[str, str]]
) -> list[Relation]:
    """Every sum a reader knows between the family's cells (``keys``: the (dimension, value)
    pairs that are not zero somewhere in the family)."""
    orgs = sorted(organisation_ids)
    sets: list[int | str] = [*orgs, ALL] if len(orgs) > 1 else list(orgs)
    year = financial_year(fy)
    quarters = [quarter(fy, n) for n in range(1, 5)]
    periods: list[PeriodKey] = [year_key(fy)]
    periods += [quarter_key(fy, n) for n in range(1, 5)]
    periods += [month_key(m) for m in year.months]
    by_dimension: dict[str, list[str]] = defaultdict(list)
    for dimension, value in sorted(keys):
        by_dimension[dimension].append(value)
    relations: list[Relation] = []
    for period in periods:
        for s in sets:

            def k(
                dimension: str, value: str = "", p: PeriodKey = period, s: int | str = s
            ) -> FamilyKey:
                return (p, s, dimension, value)

            for dimension in PARTITIONS:
                if by_dimension.get(dimension):
                    relations.append(
                        (k("total"), tuple(k(dimension, v) for v in by_dimension[dimension]))
                    )
            relations.append((k("response", "open"), tuple(k("status", v) for v in OPEN_STATES)))
            relations.append((k("status", "referred"), (k("referral", "*"),)))
            # a case is counted "closed with an outcome" exactly when its status is closed
            relations.append((k("status", "closed"), (k("response", "closed"),)))
            for dimension in OWN_TOTALS:
                parts = [v for v in by_dimension.get(dimension, []) if v != "*"]
                if parts:
                    relations.append((k(dimension, "*"), tuple(k(dimension, v) for v in parts)))
            for dimension in TAGGED:  # each value is at most the total
                for v in by_dimension.get(dimension, []):
                    untagged = k(UNTAGGED, f"{dimension}:{v}")
                    relations.append((k("total"), (k(dimension, v), untagged)))
            if categories := by_dimension.get("category"):  # and the categories at least it
                mentions = k(MENTIONS, "category")
                relations.append((mentions, tuple(k("category", v) for v in categories)))
                relations.append((mentions, (k("total"), k(MENTIONS_OVER, "category"))))
    for org in orgs:  # open now = still open from this year + from the others
        relations.append(
            (
                (NOW, org, "open_now", ""),
                ((year_key(fy), org, "response", "open"), (NOW, org, OTHER_YEARS, "")),
            )
        )
        years = tuple((NOW, org, OPEN_IN, y) for y in by_dimension.get(OPEN_IN, []))
        if years:  # as each of those years' reports show them
            relations.append(((NOW, org, OTHER_YEARS, ""), years))
    for dimension, value in sorted(keys):
        if dimension in (OTHER_YEARS, OPEN_IN) or dimension in SLACKS:
            continue
        if dimension in ("open_now", "overdue_now"):
            if len(orgs) > 1:
                relations.append(
                    ((NOW, ALL, dimension, value), tuple((NOW, o, dimension, value) for o in orgs))
                )
            continue
        for s in sets:
            for n, q in enumerate(quarters, start=1):
                relations.append(
                    (
                        (quarter_key(fy, n), s, dimension, value),
                        tuple((month_key(m), s, dimension, value) for m in q.months),
                    )
                )
            relations.append(
                (
                    (year_key(fy), s, dimension, value),
                    tuple((quarter_key(fy, n), s, dimension, value) for n in range(1, 5)),
                )
            )
        if len(orgs) > 1:
            for period in periods:
                relations.append(
                    (
                        (period, ALL, dimension, value),
                        tuple((period, o, dimension, value) for o in orgs),
                    )
                )
    return relations


_PERIOD_ORDER = {"m": 0, "q": 1, "y": 2, "now": 3}


def _priority(key: Hashable) -> tuple[Any, ...]:
    """Which figure to withhold first: a breakdown's part before a total; a month before a
    quarter before a year; one organisation before all."""
    period, org, dimension, _ = cast(FamilyKey, key)
    return (
        dimension in ("total", "open_now", "overdue_now"),
        _PERIOD_ORDER[period[0]],
        org == ALL,
    )


@dataclass
class Reads:
    """What one request reads once for every family it discloses (one set of organisations,
    one ``now``): today's caseload, each year's exact figures, whether today's caseload of
    them together is withheld."""

    ids: tuple[int, ...]
    now: dt.datetime
    today: dict[FamilyKey, int] | None = None
    open_rows: list[tuple[int, int, int]] | None = None
    years: dict[int, tuple[tuple[FamilyKey, int], ...]] = field(default_factory=dict)
    others_of: dict[int, OtherYears] = field(default_factory=dict)
    today_withheld: bool | None = None
    waiting: set[int] = field(default_factory=set)  # years being checked on the worker

    def open_years(self) -> list[int]:
        """The financial years with cases still open."""
        if self.open_rows is None:
            self.open_rows = _open_rows(self.ids)
        return sorted({year for _, year, _ in self.open_rows})

    def other_years(self, fy: int) -> OtherYears:
        """The other financial years audited with this one (``_joined``): where this year
        has cases still open, each earlier year that has some too; for several
        organisations, each later one as well (its organisations' cells)."""
        if fy not in self.others_of:
            several = len(self.ids) > 1
            years = [y for y in self.open_years() if y <= fy or several]
            items = {y: self.exact_items(y) for y in years}
            opened = [y for y in years if _is_open(dict(items[y]), y, self.ids)]
            joined = fy in opened
            self.others_of[fy] = tuple((y, items[y]) for y in opened if y != fy and joined)
        return self.others_of[fy]

    def exact_items(self, fy: int) -> tuple[tuple[FamilyKey, int], ...]:
        if self.today is None:
            self.today = _now_rows(self.ids, self.now)
        if self.open_rows is None:
            self.open_rows = _open_rows(self.ids)
        if fy not in self.years:
            exact = family_exact(
                organisation_ids=self.ids,
                fy=fy,
                now=self.now,
                now_rows=self.today,
                open_rows=self.open_rows,
            )
            self.years[fy] = _one_of(Figures(sorted(exact.items(), key=repr)))
        return self.years[fy]


def family_disclose(
    *,
    organisation_ids: Sequence[int],
    fy: int,
    now: dt.datetime,
    rule: Disclosure,
    reads: Reads | None = None,
) -> Family:
    """The family's disclosed cells (``reads``: shared by the families of one request, for
    the same organisations and ``now``)."""
    ids = tuple(sorted(organisation_ids))
    reads = Reads(ids, now) if reads is None else reads
    if (reads.ids, reads.now) != (ids, now):
        raise ValueError("reads are for one set of organisations and one now")
    family = _read(reads, fy, rule)
    # the worker checks this year (and, on the way, each year with cases still open), or a
    # year whose check today's caseload waits for (``_today_withheld``)
    waiting = fy if family.checking else min(reads.waiting, default=None)
    if waiting is not None:
        tw = bool(reads.today_withheld)
        items = reads.exact_items(waiting)
        _check_later(ids, waiting, now, rule, items, tw, reads.other_years(waiting))
        if settings.CELERY_TASK_ALWAYS_EAGER:  # the worker was this process: checked now
            reads.today_withheld, reads.waiting = None, set()
            family = _read(reads, fy, rule)
    return family


def _read(reads: Reads, fy: int, rule: Disclosure) -> Family:
    exact_items = reads.exact_items(fy)
    others = reads.other_years(fy)
    if len(reads.ids) == 1:
        return _disclose(reads.ids, fy, exact_items, rule, others=others)
    if reads.today_withheld is None:
        reads.today_withheld = _today_withheld(reads, rule)
    return _disclose(reads.ids, fy, exact_items, rule, reads.today_withheld, others)


def _today_withheld(reads: Reads, rule: Disclosure) -> bool:
    """Is today's caseload of several organisations together withheld, in every year's
    reports alike? Only where, shown, it would pin a count of a year whose cases are still
    open (with that year's figures of each organisation; a year with none open is not tied
    to today's caseload at all), so every such year is audited with it shown first. While
    one of those is being checked on the worker it is withheld (the answer is not known)."""
    for fy in reads.open_years():
        family = _disclose(reads.ids, fy, reads.exact_items(fy), rule, False, reads.other_years(fy))
        if family.checking:
            reads.waiting.add(fy)
        if family.apart == APART_ALL or family.checking:
            return True
    return False


class _Checking(Exception):
    """The family waits for the worker's integer program: ``family`` is what it shows
    until then (``_checking``)."""

    def __init__(self, family: Family) -> None:
        self.family = family


def _disclose(
    ids: tuple[int, ...],
    fy: int,
    exact_items: tuple[tuple[FamilyKey, int], ...],
    rule: Disclosure,
    today_withheld: bool = False,
    others: OtherYears = (),
) -> Family:
    """The family audited (``_audited``), or what it shows while the worker checks it."""
    try:
        return _audited(ids, fy, exact_items, rule, today_withheld, others)
    except _Checking as checking:
        return checking.family


@lru_cache(maxsize=256)  # a family of 40 organisations reads 41 audits
def _audited(
    ids: tuple[int, ...],
    fy: int,
    exact_items: tuple[tuple[FamilyKey, int], ...],
    rule: Disclosure,
    today_withheld: bool = False,
    others: OtherYears = (),
) -> Family:
    """The audit, kept for the same exact figures: every report of a family, and every
    request until a count changes, reads one audit. ``today_withheld``: today's caseload
    of them all together is withheld in every year (``_today_withheld``); ``others``: the
    other years with cases still open (``Reads.other_years``), their cells as their own
    families show them, in the audit with this year's (``_joined``). A family too large
    for the integer program in a request, and not too large for the worker's, raises
    ``_Checking`` until the worker has checked it (never kept here, so it is asked again)."""
    own = dict(exact_items)
    cache_key = _audit_cache_key(ids, fy, exact_items, rule, today_withheld, others)
    kept = _kept_answer(cache_key)
    joint = _joined(ids, fy, exact_items, rule, today_withheld, others)
    exact = joint.exact
    size = published_size(own)  # the year's own cells: which integer program checks it
    policy = rules.disclosure()
    later = policy.exact_cells < size <= policy.background_cells and not _too_slow(ids, fy)
    on_worker = _ON_WORKER.get()
    if later and not on_worker and (kept is None or not kept[2]):
        raise _Checking(_checking(ids, fy, own, rule, others))
    own_relations = _kept_relations(own, family_relations_for(own, ids, fy))
    relations = own_relations + _kept_relations(exact, joint.relations)
    hidden = frozenset(key for key in own if key[2] == OTHER_YEARS)
    slack = frozenset(key for key in exact if key[2] in SLACKS) | joint.slack
    cells = None
    if kept is not None and (kept[2] or not later):  # this deployment's own answer
        withheld, apart, _ = kept
        unseen = _unseen(own, slack, apart, today_withheld)
        cells = withhold(
            exact,
            relations,
            rule,
            withheld=sorted(
                {key for key in withheld if key not in unseen}
                | {key for key, w in joint.fixed.items() if w},
                key=repr,
            ),
            hidden=hidden,
            slack=slack | unseen,
            exactly=False,  # checked by propagation only: the seal says it was audited
        )
        if cells is not None:
            cells.update(_apart_cells(unseen))
    if cells is None:
        if later and not on_worker:  # a kept answer that did not hold: checked again
            raise _Checking(_checking(ids, fy, own, rule, others))
        limit = policy.background_cells if on_worker else policy.exact_cells
        audit = partial(
            _audit_joined,
            exact,
            relations,
            own,
            own_relations,
            joint,
            rule,
            hidden=hidden,
            exact_cells=limit,
            proof_cells=policy.proof_cells,
            # the years together by the integer program no larger than this year alone's
            # (the request's wherever it runs; the worker's, as long as it proves it)
            joint_cells=policy.exact_cells
            if size <= policy.exact_cells
            else min(limit, policy.proof_cells),
        )
        fixed = _settled(ids, fy, own, rule, others)
        fixed = {key: w for key, w in fixed.items() if key not in joint.slack}
        year_apart = bool(others) and len(ids) == 1
        cells, apart = _audit(audit, own, slack, fixed, today_withheld, year_apart)
        _keep_answer(cache_key, cells, apart=apart, exactly=size <= limit)
    # other years' "still open" are in this audit's sums only: their own reports show them
    # (and the earlier years' cells: their own families)
    shown = {k: c for k, c in cells.items() if k in own and cast(FamilyKey, k)[2] != OPEN_IN}
    return Family(fy, ids, cast(dict[FamilyKey, Cell], shown), apart)


def _audit_joined(
    exact: dict[FamilyKey, int],
    relations: list[Relation],
    own: dict[FamilyKey, int],
    own_relations: list[Relation],
    joint: _Joint,
    rule: Disclosure,
    *,
    hidden: frozenset[FamilyKey],
    slack: frozenset[FamilyKey],
    exact_cells: int,
    proof_cells: int,
    joint_cells: int,
    fixed: dict[FamilyKey, bool] | None = None,
) -> dict[Any, Cell]:
    """The year audited with the earlier years' cells as their families show them
    (``_joined``): by the integer program over them all where that is no larger than the
    program this year alone is checked by (``joint_cells``: the request's, wherever it
    runs, for a year the request checks; the worker's up to the size it proves exactly,
    ``REPORTS_PROOF_CELLS``). Where it is larger, by
    propagation over them all first, then by the integer program over this year alone,
    its cells withheld by the first withheld in the second too (withholding more only
    widens what propagation allows, so the first still holds): every sum across the years
    is audited, their combinations by propagation alone. Audited afresh (``fixed`` None:
    ``_audit``'s last resort), the year alone, as it was before the years were joined."""
    audit = partial(protect, priority=_priority, hidden=hidden, block=_block)
    if fixed is None:
        alone = frozenset(key for key in slack if key in own and key not in joint.slack)
        return audit(own, own_relations, rule, slack=alone, exact_cells=exact_cells)
    settled = {**joint.fixed, **fixed}
    if published_size(exact) <= joint_cells:
        return audit(
            exact,
            relations,
            rule,
            slack=slack,
            fixed=settled,
            exact_cells=exact_cells,
            proof_cells=proof_cells,
        )
    wide = audit(exact, relations, rule, slack=slack, fixed=settled, exact_cells=0)
    first = {key: True for key, cell in wide.items() if cell.withheld and key in own}
    # alone, the earlier years' "still open" as their reports show them, as before
    shown = dict.fromkeys(joint.slack, False)
    return audit(
        own,
        own_relations,
        rule,
        slack=frozenset(key for key in slack if key in own and key not in joint.slack),
        fixed={**{key: w for key, w in settled.items() if key in own}, **shown, **first},
        exact_cells=exact_cells,
        proof_cells=proof_cells,
    )


def _is_open(exact: Mapping[FamilyKey, int], fy: int, ids: Sequence[int]) -> bool:
    """Has the year cases still open, in any of the organisations?"""
    return any(exact.get((year_key(fy), org, "response", "open")) for org in ids)


@dataclass(frozen=True)
class _Joint:
    """A year's audit joined with the earlier years' (``_joined``)."""

    exact: dict[FamilyKey, int]
    relations: list[Relation]
    fixed: dict[FamilyKey, bool]
    slack: frozenset[FamilyKey]


def _joined(
    ids: tuple[int, ...],
    fy: int,
    exact_items: ExactItems,
    rule: Disclosure,
    today_withheld: bool,
    others: OtherYears,
) -> _Joint:
    """The earlier years with cases still open, in the audit of this one. Today's caseload
    ties every such year to the others ("open now" is the years' "still open" added up), so
    a reader of every year's reports can combine one year's breakdowns with another's: each
    year on its own can leave every `*` two values and both together pin one (hypothesis
    found such a data set). So the audit of a year with cases still open holds every
    earlier such year's cells as that year's own family shows them (each audited, in turn,
    with the years before it), with their sums, and that year's "still open" in place of
    the count this family would otherwise take as that year's reports show it (``OPEN_IN``,
    then a count never shown); only this year's cells are left to withhold. The latest
    year's audit thus holds every year's figures at once: a `*` of any year that all of
    them together would pin withholds one more of the latest year's cells. Each earlier
    year's own audit took this year's "still open" as shown (or less), so withholding
    every cell of this year always frees it (``APART_YEAR``).

    A family of several organisations holds each later such year's organisation cells
    too, as each organisation's own family shows them (those never rest on a family of
    several): so that the cells of them all together of an earlier year are audited with
    every organisation's cells of every year, and withholding this year's cells of them
    all together frees whatever its organisations' cells and the earlier years' pin
    (``APART_ALL``; hypothesis found committees comparing notes over two years pinning a
    `*` without them)."""
    exact = dict(exact_items)
    every = tuple(sorted((*others, (fy, exact_items))))
    joint = dict(exact)
    relations: list[Relation] = []
    fixed: dict[FamilyKey, bool] = {}
    slack: set[FamilyKey] = set()

    def join(year: int, figures: dict[FamilyKey, int], s: tuple[int, ...], f: Family) -> None:
        if f.checking:  # another year waits for the worker: so does this one
            raise _Checking(_checking(ids, fy, exact, rule, others))
        joint.update((key, c) for key, c in figures.items() if key[0] != NOW)
        relations.extend(
            (parent, parts)
            for parent, parts in family_relations_for(figures, s, year)
            if parent[0] != NOW and all(part[0] != NOW for part in parts)
        )
        fixed.update((key, cell.withheld) for key, cell in f.cells.items() if key[0] != NOW)
        for org in s:  # this family's count of that year's "still open": that cell
            count = (NOW, org, OPEN_IN, str(year))
            if count in exact:
                relations.append((count, ((year_key(year), org, "response", "open"),)))
                slack.add(count)

    several = len(ids) > 1
    for year, items in others:  # each with its own other years (``Reads.other_years``)
        others = tuple(e for e in every if e[0] < year or (several and e[0] > year))
        if year < fy:
            join(year, dict(items), ids, _disclose(ids, year, items, rule, today_withheld, others))
            continue
        for org in ids:  # a later year: its organisations' cells, as their own show them
            own = own_exact(dict(items), org)
            if not any(own.get(key) for key in own if key[0] != NOW):
                continue
            join(year, own, (org,), _own_family(own, org, year, rule, others))
    return _Joint(joint, relations, fixed, frozenset(slack))


def published_size(exact: Mapping[FamilyKey, int]) -> int:
    """How many cells of the family are published and not 0 (what the integer program's
    cost, and its limits, are counted in)."""
    never = (*SLACKS, OTHER_YEARS)
    return sum(1 for key, n in exact.items() if n and key[2] not in never)


def _checking(
    ids: tuple[int, ...],
    fy: int,
    exact: dict[FamilyKey, int],
    rule: Disclosure,
    others: OtherYears = (),
) -> Family:
    """What a family shows while the worker checks it: each organisation's cells as its own
    family shows them (each one checked in full), and every cell of them all together
    withheld, whatever it is (as ``APART_ALL``: so the figures say nothing each
    organisation's own do not). An organisation whose own family is still being checked,
    or a family of one, shows every cell that is not 0 withheld. Nothing shown here can be
    shown differently once checked: the check only adds the cells of them all together."""
    never = (*SLACKS, OTHER_YEARS, OPEN_IN)
    cells = {key: rule.count(n) for key, n in exact.items() if key[2] not in never}
    unseen = {key for key, n in cells.items() if n and (len(ids) == 1 or key[1] == ALL)}
    if len(ids) > 1:
        for org in ids:
            own = own_exact(exact, org)
            family = _own_family(own, org, fy, rule, others)
            if family.checking:
                unseen |= {key for key in family.cells if key in cells and exact[key]}
            else:
                cells.update(family.cells)
    cells.update(_apart_cells(frozenset(unseen)))
    return Family(fy, ids, cells, APART_ALL, checking=True)


def family_audit_on_worker(
    *, organisation_ids: Sequence[int], fy: int, now: dt.datetime, rule: Disclosure
) -> Family:
    """The family (and those it rests on: each organisation's, each year's with cases still
    open) audited with the worker's integer-program limit, every answer kept for the
    requests (``reports.tasks.audit_family``)."""
    token = _ON_WORKER.set(True)
    try:
        return family_disclose(organisation_ids=organisation_ids, fy=fy, now=now, rule=rule)
    finally:
        _ON_WORKER.reset(token)


def _too_slow_key(ids: Sequence[int], fy: int) -> str:
    text = repr((AUDIT_CACHE_VERSION, tuple(sorted(ids)), fy)).encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), text, hashlib.sha256).hexdigest()
    return f"reports:audit:slow:{digest}"


def family_too_slow(*, organisation_ids: Sequence[int], fy: int) -> None:
    """The worker could not check this family within its time limit: from now on (for
    the cache's week) the requests audit it by propagation alone, as a family beyond the
    worker's limit, rather than waiting for a check that will not end. What was shown
    while it waited showed less than that, so nothing shown before says more."""
    _cache_call(cache.set, _too_slow_key(organisation_ids, fy), 1, AUDIT_CACHE_SECONDS)


def _too_slow(ids: tuple[int, ...], fy: int) -> bool:
    return bool(_cache_call(cache.get, _too_slow_key(ids, fy)))


def _check_later(
    ids: tuple[int, ...],
    fy: int,
    now: dt.datetime,
    rule: Disclosure,
    exact_items: tuple[tuple[FamilyKey, int], ...],
    today_withheld: bool,
    others: OtherYears = (),
) -> None:
    """Ask the worker to check the family, once while it is being checked (a cache that is
    down or a broker that is down: the family goes on showing what it shows until checked,
    and the next request asks again)."""
    from reports.tasks import audit_family

    policy = rules.disclosure()
    marker = _audit_cache_key(ids, fy, exact_items, rule, today_withheld, others) + ":queued"
    if not _cache_call(cache.add, marker, 1, policy.background_seconds + 60):
        return
    try:
        audit_family.apply_async(
            args=(list(ids), fy, now.isoformat(), rule.suppress_up_to, rule.round_to),
            soft_time_limit=policy.background_seconds,
            time_limit=policy.background_seconds + 30,
        )
    except Exception:
        logger.warning("committee audit: the worker could not be asked", exc_info=False)
        _cache_call(cache.delete, marker)


# How much of the cells of several organisations together an audit withholds outright
# (``_audit``): none; all bar today's caseload; all; or none, the family audited afresh;
# and, for one organisation, every cell of the year bar today's caseload (``_joined``).
APART_NONE, APART_BUT_TODAY, APART_ALL, APART_AFRESH, APART_YEAR = 0, 1, 2, 3, 4
_APART = {
    APART_NONE: "",
    APART_BUT_TODAY: "all together bar today's caseload withheld",
    APART_ALL: "all together withheld",
    APART_AFRESH: "audited afresh",
    APART_YEAR: "the year withheld beside the earlier years",
}


def _unseen(
    exact: dict[FamilyKey, int], slack: frozenset[FamilyKey], apart: int, today_withheld: bool
) -> frozenset[FamilyKey]:
    """The cells of several organisations together (not 0s) withheld outright: shown ``x``
    whatever they are, so known only not to be 0 (each is the sum of its organisations'),
    and in the audit as counts never shown (slacks); or every cell of one organisation's
    year but today's caseload (``APART_YEAR``)."""
    if apart == APART_AFRESH:
        return frozenset()
    if apart == APART_YEAR:
        return frozenset(key for key, n in exact.items() if n and key[0] != NOW) - slack
    today = frozenset(key for key, n in exact.items() if n and key[0] == NOW and key[1] == ALL)
    unseen: frozenset[FamilyKey] = frozenset()
    if apart in (APART_BUT_TODAY, APART_ALL):
        unseen = frozenset(key for key, n in exact.items() if n and key[1] == ALL) - slack
    return unseen | today if apart == APART_ALL or today_withheld else unseen - today


def _audit(
    audit: Callable[..., dict[Any, Cell]],
    exact: dict[FamilyKey, int],
    slack: frozenset[FamilyKey],
    fixed: dict[FamilyKey, bool],
    today_withheld: bool,
    year_apart: bool = False,
) -> tuple[dict[Any, Cell], int]:
    """The family audited with each organisation's cells settled (``_settled``). Where
    those leave a count pinned by the cells of them all together (nothing of those left to
    withhold frees it), every one of those is withheld, whatever it is: each is shown
    ``x``, so it says nothing each organisation's own figures do not, and each
    organisation's cells still look as its own family shows them. Today's caseload of them
    all is withheld too where it alone still pins a count (``APART_ALL``; then
    ``_today_withheld`` withholds it in every year's reports alike). The family is audited
    afresh, its cells no longer alike everywhere, only where even that leaves a count
    pinned (each organisation's own audit makes that unreachable: the safe last resort).
    ``year_apart``: one organisation's year audited with earlier years (``_joined``): where
    nothing of its own frees a count those pin, every cell of the year is withheld."""
    tried: set[frozenset[FamilyKey]] = set()
    last = (APART_YEAR,) if year_apart else ()
    for apart in (APART_NONE, APART_BUT_TODAY, APART_ALL, *last):
        unseen = _unseen(exact, slack, apart, today_withheld)
        if unseen in tried:
            continue
        tried.add(unseen)
        settled = {key: w for key, w in fixed.items() if key not in unseen}
        try:
            cells = audit(slack=slack | unseen, fixed=settled)
        except NothingToWithhold:
            continue
        if apart != APART_NONE:
            logger.warning("committee audit: the settled figures pin a count; %s", _APART[apart])
        cells.update(_apart_cells(unseen))
        return cells, apart
    logger.warning("committee audit: the settled figures pin a count; %s", _APART[APART_AFRESH])
    return audit(slack=slack), APART_AFRESH


def _apart_cells(unseen: frozenset[FamilyKey]) -> dict[Any, Cell]:
    return {key: Cell(None, suppressed=True, withheld=True) for key in unseen}


def _settled(
    ids: tuple[int, ...],
    fy: int,
    exact: dict[FamilyKey, int],
    rule: Disclosure,
    others: OtherYears = (),
) -> dict[FamilyKey, bool]:
    """The figures this audit takes as already decided (True: withheld), so that a cell
    looks the same wherever it is shown: today's caseload ("open now", "overdue now") is
    never withheld, as every financial year shows it; and in a family of several
    organisations each organisation's own cells are as its own family shows them (to the
    committee of that organisation alone), so only the cells of them all together are
    audited here."""
    fixed = {key: False for key in exact if key[0] == NOW and key[2] != OTHER_YEARS}
    if len(ids) > 1:
        for org in ids:
            own = own_exact(exact, org)
            family = _own_family(own, org, fy, rule, others)
            if family.checking:  # its own family waits for the worker: so does this one
                raise _Checking(_checking(ids, fy, exact, rule, others))
            fixed.update((key, cell.withheld) for key, cell in family.cells.items())
    return fixed


def own_exact(exact: dict[FamilyKey, int], org: int) -> dict[FamilyKey, int]:
    """One organisation's own family's exact counts, from a family of several: its cells,
    with the counts behind the tagged dimensions for its own categories and standards
    (``family_exact`` for it alone gives the same, so both read one audit)."""
    own = {k: n for k, n in exact.items() if k[1] == org and k[2] not in SLACKS}
    _tag_slacks(own)
    return own


def _own_family(
    own: dict[FamilyKey, int], org: int, fy: int, rule: Disclosure, others: OtherYears
) -> Family:
    """One organisation's own family (``own_exact``), from a family of several's figures
    and other years: as the organisation's own reports disclose it."""
    items = _one_of(Figures(sorted(own.items(), key=repr)))
    return _disclose((org,), fy, items, rule, others=_own_earlier(others, own, fy, org))


def _own_earlier(others: OtherYears, own: dict[FamilyKey, int], fy: int, org: int) -> OtherYears:
    """One organisation's own family's earlier years (``Reads.other_years`` for it alone),
    from a family of several's."""
    if not _is_open(own, fy, (org,)):
        return ()
    out = []
    for year, items in others:
        if year >= fy:
            continue
        theirs = own_exact(dict(items), org)
        if _is_open(theirs, year, (org,)):
            out.append((year, _one_of(Figures(sorted(theirs.items(), key=repr)))))
    return tuple(out)


def _block(key: Hashable) -> int:
    """Each organisation's cells a block of the integer program; those of them all
    together shared (``exactcheck.pinned``)."""
    org = cast(FamilyKey, key)[1]
    return -1 if org == ALL else int(org)


def family_relations_for(
    exact: dict[FamilyKey, int], ids: Sequence[int], fy: int
) -> list[Relation]:
    """The family's sums over its non-zero cells (a 0 in a sum says nothing: it is left out,
    and a sum of zeros is dropped)."""
    keys = {(d, v) for (_, _, d, v), n in exact.items() if n}
    out = []
    for parent, children in family_relations(organisation_ids=ids, fy=fy, keys=keys):
        whole = exact.get(parent, 0)
        # a slack under a whole that is not 0 stays, at 0 too: it is not a published 0
        parts = tuple(c for c in children if exact.get(c) or (whole and c[2] in SLACKS))
        if parts or whole:
            out.append((parent, parts))
    return out


def _kept_relations(exact: dict[Any, int], relations: list[Relation]) -> list[Relation]:
    """The sums the exact figures keep. One they break (a rollup bug) is not a sum a
    reader can use to pin a `*` (it does not hold), so it is left out of the audit rather
    than refusing the whole report; how many were left out is logged, nothing else."""
    kept = [(p, cs) for p, cs in relations if exact.get(p, 0) == sum(exact.get(c, 0) for c in cs)]
    if len(kept) < len(relations):
        logger.warning("committee audit: %d sums broken by the counts", len(relations) - len(kept))
    return kept


# The audit's answer (which cells are withheld: figures every member of the family sees
# anyway) is shared by every process through the cache, keyed by a keyed hash of the exact
# figures (so the key tells nothing of them). Bump the version when the audit changes.
# 2: the fallback may withhold a `*`; 3: checked by an integer program; 4: each organisation's
# cells as its own family shows them, today's caseload never withheld; 5: what a reader
# knows of categories and standards, and the answer sealed; 6: where the settled cells pin a
# count, the cells of them all together withheld (kept as ``apart``); 7: the cases still
# open from other years as those years show them; 8: whether the integer program checked it;
# 9: the earlier years with cases still open in the audit (``_joined``); 10: and, for
# several organisations, the later years' organisation cells
AUDIT_CACHE_VERSION = 10
AUDIT_CACHE_SECONDS = 7 * 24 * 3600


def _audit_cache_key(
    ids: tuple[int, ...],
    fy: int,
    exact_items: tuple[tuple[FamilyKey, int], ...],
    rule: Disclosure,
    today_withheld: bool = False,
    others: OtherYears = (),
) -> str:
    text = repr((AUDIT_CACHE_VERSION, ids, fy, exact_items, rule, today_withheld, others))
    digest = hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()
    return f"reports:audit:{digest}"


def _seal(cache_key: str, withheld: list[Any]) -> str:
    text = repr((cache_key, withheld)).encode()
    return hmac.new(settings.SECRET_KEY.encode(), text, hashlib.sha256).hexdigest()


def _keep_answer(cache_key: str, cells: Mapping[Any, Cell], *, apart: int, exactly: bool) -> None:
    """The audit's answer for every process: the withheld cells (how much of the cells of
    several organisations together were withheld outright, ``_audit``; whether the integer
    program checked it), sealed with a keyed hash."""
    withheld = sorted((key for key, cell in cells.items() if cell.withheld), key=repr)
    seal = _seal(cache_key, [apart, exactly, *withheld])
    kept = {"withheld": withheld, "apart": apart, "exactly": exactly, "seal": seal}
    _cache_call(cache.set, cache_key, kept, AUDIT_CACHE_SECONDS)


def _kept_answer(cache_key: str) -> tuple[list[Any], int, bool] | None:
    """The withheld cells another process kept for these figures, if it sealed them (a
    value anyone else wrote into the cache is not used: the family is audited again)."""
    kept = _cache_call(cache.get, cache_key)
    if not isinstance(kept, dict):
        return None
    withheld, apart, seal = kept.get("withheld"), kept.get("apart"), kept.get("seal")
    exactly = kept.get("exactly")
    if (
        not isinstance(withheld, list)
        or type(apart) is not int
        or apart not in _APART
        or type(exactly) is not bool
        or not isinstance(seal, str)
    ):
        return None
    if not hmac.compare_digest(seal, _seal(cache_key, [apart, exactly, *withheld])):
        return None
    return withheld, apart, exactly


def _cache_call(method: Callable[..., Any], *args: Any) -> Any:
    """A cache that is down costs an audit, never the page."""
    try:
        return method(*args)
    except Exception:
        logger.warning("committee audit cache unavailable", exc_info=False)
        return None


def first_months(organisation_ids: Sequence[int]) -> dict[int, dt.date]:
    """Each organisation's first month live: the first month any concern was raised there."""
    firsts = (
        MonthlyCount.objects.filter(
            organisation_id__in=list(organisation_ids), grain=Grain.MONTH, dimension="total"
        )
        .order_by()
        .values("organisation_id")
        .annotate(first=Min("month"))
        .values_list("organisation_id", "first")
    )
    return {org: _as_date(month) for org, month in firsts}


__all__ = ["ALL", "NOW", "Family", "Reads", "family_disclose", "first_months"]
