"""The dashboard as disclosed tables: the one shape pages, API and exports all render.

Every figure here has passed through ``Disclosure``; nothing below holds a raw count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.cache import cache
from django.utils import timezone

from concerns.models import ProfessionalGroup, ReporterRole, Route
from concerns.selectors import category_names, standard_texts
from reports import spc
from reports.definitions import (
    INDICATORS,
    RESPONSE_INDICATORS,
    STANDARD_EVIDENCE,
    STANDARD_EVIDENCE_NOTES,
)
from reports.disclosure import Cell, Disclosure
from reports.family import (
    ALL,
    NOW,
    Family,
    PeriodKey,
    Reads,
    family_disclose,
    first_months,
    month_key,
    quarter_key,
    year_key,
)
from reports.periods import Period, add_months, financial_year_of
from reports.selectors import TREND_MONTHS, RawFigures, ReportScope, national_figures_for
from workflow.models import ReferralDestination, SpeakUpAgain, Status, Upheld


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: tuple[Cell | str, ...]


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    note: str = ""
    chart: str = "bar"  # "bar", "spc" or "" (no chart)

    def chart_values(self) -> list[tuple[str, Cell]]:
        return [(r.label, r.cells[0]) for r in self.rows if r.key != "total"]


@dataclass(frozen=True)
class StandardEvidence:
    code: str
    text: str
    note: str
    indicators: tuple[tuple[str, Cell], ...]


@dataclass(frozen=True)
class Dashboard:
    scope: ReportScope
    tables: dict[str, Table]
    trend: spc.SpcChart
    trend_months: tuple[dt.date, ...]
    trend_cells: tuple[Cell, ...]
    standards: tuple[StandardEvidence, ...]
    national_source: str = ""
    national_url: str = ""
    indicators: dict[str, Cell] = field(default_factory=dict)
    # some figures of them all together wait for the worker's check (``family._checking``)
    checking: bool = False


class Disclosed:
    """One report's figures, read from its family's disclosed cells (``reports.family``).

    Nothing here sees an exact count: counts are family cells, shares are of two cells,
    sums are of cells, and a median is withheld with the count of cases it rests on."""

    def __init__(
        self, family: Family, period: PeriodKey, org: int | str, raw: RawFigures, rule: Disclosure
    ) -> None:
        self.family, self.period, self.org, self.raw, self.rule = family, period, org, raw, rule

    def count(self, dimension: str, value: str = "") -> Cell:
        if dimension in ("open_now", "overdue_now"):
            return self.family.cell(NOW, self.org, dimension, value)
        return self.family.cell(self.period, self.org, dimension, value)

    def measure(self, measure: str) -> Cell:
        dimension, _, value = measure.partition(":")
        return self.count(dimension, value)

    def share_of(self, part: Cell, whole: Cell) -> Cell:
        return self.rule.share(part, whole)

    def share(self, part: str, whole: str) -> Cell:
        return self.rule.share(self.measure(part), self.measure(whole))

    def count_sum(self, *measures: str) -> Cell:
        cells = [self.measure(m) for m in measures]
        for cell in cells:
            if cell.suppressed:
                return Cell(None, suppressed=True, withheld=cell.withheld)
        return Cell(sum(int(c.value or 0) for c in cells))

    def median(self, measure: str) -> Cell:
        cases = {"acknowledge": "acknowledged", "feedback": "feedback", "close": "closed"}
        n = self.count("response", cases[measure])
        return self.rule.median_of(self.raw.durations.get(measure, {}), n)


def _breakdown(
    key: str,
    title: str,
    f: Disclosed,
    labels: list[tuple[str, str]],
    column: str,
    note: str = "",
    with_total: bool = True,
    total: str = "total:",
    share_column: str = "% of concerns",
) -> Table:
    whole = f.measure(total)
    rows = [
        Row(value, label, (f.count(key, value), f.share_of(f.count(key, value), whole)))
        for value, label in labels
    ]
    if with_total:
        rows.append(Row("total", "Total", (whole, Cell(None, unit="%"))))
    return Table(key, title, (column, "Concerns", share_column), tuple(rows), note)


STAND_IN = 4.0  # a `*` month in the SPC mean and limits: the middle of 1 to 7


def _spc_of(cells: list[Cell]) -> spc.SpcChart:
    """XmR over the disclosed months: a `*` counts as 4 and is never flagged itself; a
    withheld month ("x") withholds the limits altogether."""
    if any(c.withheld for c in cells):
        points = tuple(spc.SpcPoint(float(c.value or 0)) for c in cells)
        return spc.SpcChart("xmr", 0.0, 0.0, 0.0, 0.0, points, withheld=True)
    values = [STAND_IN if c.suppressed else float(c.value or 0) for c in cells]
    chart = spc.xmr(values)
    points = tuple(
        spc.SpcPoint(p.value, () if c.suppressed else p.rules)
        for p, c in zip(chart.points, cells, strict=True)
    )
    return spc.SpcChart(chart.kind, chart.mean, chart.lower, chart.upper, chart.sigma, points)


def _trend(cells: list[tuple[dt.date, Cell]]) -> tuple[spc.SpcChart, Table]:
    # Mean, limits and flags come from the disclosed months alone (see _spc_of).
    chart = _spc_of([c for _, c in cells])
    rows = []
    for i, (month, cell) in enumerate(cells):
        rules = chart.points[i].rules if chart.has_limits and chart.points else ()
        if cell.suppressed:
            special = "Not assessed (withheld month)"
        else:
            special = ", ".join(_rule_label(r) for r in rules) or "Common cause"
        rows.append(Row(f"{month:%Y-%m}", f"{month:%b %Y}", (cell, special)))
    if not rows:
        note = "No months to chart yet."
    elif chart.withheld:
        note = (
            f"Statistical process control over the {len(rows)} months to the end of the "
            "period: the mean and limits are withheld, as a month is withheld (x)."
        )
    else:
        note = (
            f"Statistical process control (XmR) over the {len(rows)} months to the end of "
            f"the period, from the figures shown (a * month counted as {STAND_IN:.0f}): mean "
            f"{chart.mean:.0f}"
            + (
                f", process limits {chart.lower:.0f} to {chart.upper:.0f}."
                if chart.has_limits
                else "; too few months for process limits."
            )
        )
    table = Table(
        "trend",
        "Concerns raised per month",
        ("Month", "Concerns", "Variation"),
        tuple(rows),
        note,
        chart="spc",
    )
    return chart, table


RULE_LABELS = {
    "outside": "beyond a process limit",
    "shift": "run of 7 on one side of the mean",
    "trend": "7 rising or falling in a row",
    "near_limit": "2 of 3 near a limit",
}


def _rule_label(rule: str) -> str:
    name, _, side = rule.partition(":")
    return f"Special cause ({'higher' if side == 'high' else 'lower'}): {RULE_LABELS[name]}"


REFERENCE_CACHE_SECONDS = 300


def _reference_data() -> tuple[list[tuple[str, str]], list[tuple[str, str, int]]]:
    """Category names and standard texts: reference data, cached briefly (not case data)."""
    cached = cache.get("reports:reference")
    if cached is None:
        cached = (
            category_names(),
            standard_texts(),
        )
        cache.set("reports:reference", cached, REFERENCE_CACHE_SECONDS)
    return cached


def _org_key(scope: ReportScope) -> int | str:
    if len(scope.organisations) == 1 and len(scope.family_ids) > 1:
        return scope.organisations[0].pk
    return ALL if len(scope.family_ids) > 1 else (scope.family_ids or [0])[0]


def _period_key(period: Period) -> PeriodKey:
    fy = financial_year_of(period.first_month)
    if period.kind == "year":
        return year_key(fy)
    if period.kind == "quarter":
        return quarter_key(fy, (period.first_month.month - 4) % 12 // 3 + 1)
    return month_key(period.first_month)


class _Families:
    """The families a dashboard reads (its year's, and those its trend reaches back into)."""

    def __init__(self, organisation_ids: list[int], now: dt.datetime, rule: Disclosure) -> None:
        self.ids, self.now, self.rule = organisation_ids, now, rule
        self.by_year: dict[int, Family] = {}
        self.reads = Reads(tuple(sorted(organisation_ids)), now)

    def __call__(self, fy: int) -> Family:
        if fy not in self.by_year:
            if self.ids:
                self.by_year[fy] = family_disclose(
                    organisation_ids=self.ids,
                    fy=fy,
                    now=self.now,
                    rule=self.rule,
                    reads=self.reads,
                )
            else:
                self.by_year[fy] = Family(fy, (), {})
        return self.by_year[fy]


def _trend_months(scope: ReportScope, today: dt.date) -> list[dt.date]:
    """The 24 months to the end of the period, but only months that have begun, and only
    from the first month any chosen organisation was live (had a concern raised)."""
    last = min(scope.period.last_month, today.replace(day=1))
    first = add_months(scope.period.last_month, -(TREND_MONTHS - 1))
    live = first_months(scope.organisation_ids) if scope.organisation_ids else {}
    if not live:
        return []
    first = max(first, min(live.values()))
    months = []
    while first <= last:
        months.append(first)
        first = add_months(first, 1)
    return months


def dashboard_build(
    *,
    scope: ReportScope,
    figures: RawFigures,
    now: dt.datetime | None = None,
) -> Dashboard:
    """The dashboard's tables: every figure a disclosed family cell, or computed from them."""
    now = now or timezone.now()
    d = Disclosure.current()
    families = _Families(list(scope.family_ids), now, d)
    org = _org_key(scope)
    f = Disclosed(
        families(financial_year_of(scope.period.first_month)),
        _period_key(scope.period),
        org,
        figures,
        d,
    )
    months = _trend_months(scope, timezone.localtime(now).date())
    trend_cells = [
        (m, families(financial_year_of(m)).cell(month_key(m), org, "total")) for m in months
    ]
    chart, trend = _trend(trend_cells)
    categories, standards = _reference_data()
    indicators = {key: i.compute(f) for key, i in INDICATORS.items()}
    national, source, url = _national(scope, f)
    evidence = _standards(standards, indicators)
    tables = {
        "trend": trend,
        **_who_tables(scope, f, figures, categories),
        **_about_tables(f, figures, standards),
        **_answer_tables(f, indicators),
        "national": national,
        **_evidence_tables(f, standards, evidence),
    }
    return Dashboard(
        scope=scope,
        tables=tables,
        trend=chart,
        trend_months=tuple(m for m, _ in trend_cells),
        trend_cells=tuple(c for _, c in trend_cells),
        standards=evidence,
        national_source=source,
        national_url=url,
        indicators=indicators,
        checking=any(family.checking for family in families.by_year.values()),
    )


def _who_tables(
    scope: ReportScope, f: Disclosed, figures: RawFigures, categories: list[tuple[str, str]]
) -> dict[str, Table]:
    """What concerns were about and who raised them, by which route, where."""
    tables = {}
    tables["category"] = _breakdown(
        "category",
        "Concerns by category",
        f,
        categories,
        "Category",
        "A concern can have several categories, so these add up to more than the total.",
        with_total=False,
    )
    tables["route"] = _breakdown(
        "route",
        "Concerns by route",
        f,
        list(Route.choices),
        "Route",
        "The share raised anonymously is a signal of how safe people feel to speak up openly.",
    )
    tables["role"] = _breakdown(
        "role", "Concerns by reporter role", f, list(ReporterRole.choices), "Role"
    )
    tables["group"] = _breakdown(
        "group",
        "Concerns by professional group",
        f,
        list(ProfessionalGroup.choices),
        "Professional group",
    )
    tables["organisation"] = _organisations(scope, f)
    tables["department"] = _departments(f, figures)
    return tables


def _departments(f: Disclosed, figures: RawFigures) -> Table:
    departments = sorted(figures.departments.items(), key=lambda kv: kv[1])
    if figures.n("department", "none"):
        departments.append(("none", "No department given"))
    return Table(
        "department",
        "Concerns by department",
        ("Department", "Concerns"),
        tuple(Row(k, label, (f.count("department", k),)) for k, label in departments),
    )


def _about_tables(
    f: Disclosed, figures: RawFigures, standards: list[tuple[str, str, int]]
) -> dict[str, Table]:
    tagged = [(c, f"{c} {t}") for c, t, _ in standards if figures.n("standard", c)]
    return {
        "standard": Table(
            "standard",
            "Concerns by quality standard",
            ("Standard", "Concerns"),
            tuple(Row(c, label, (f.count("standard", c),)) for c, label in tagged),
            "Standards a concern bears on; a concern can bear on several.",
        )
    }


def _answer_tables(f: Disclosed, indicators: dict[str, Cell]) -> dict[str, Table]:
    """How concerns were responded to, what came of them, and where they stand now."""
    tables = {}
    tables["response"] = Table(
        "response",
        "How well concerns are responded to",
        ("Indicator", "Value"),
        tuple(Row(k, INDICATORS[k].label, (indicators[k],)) for k in RESPONSE_INDICATORS),
        "Concerns raised in the period, as they stand today (open and overdue: all cases now).",
        chart="",
    )
    for key, title, labels, column in (
        ("outcome", "Outcomes", Upheld.choices, "Outcome"),
        ("referral", "Referred to", ReferralDestination.choices, "Route"),
        ("speak_up_again", "Would you speak up again?", SpeakUpAgain.choices, "Answer"),
    ):
        tables[key] = _breakdown(
            key, title, f, list(labels), column, total=f"{key}:*", share_column="% of these"
        )
    tables["status"] = _breakdown(
        "status",
        "Where concerns stand now",
        f,
        list(Status.choices),
        "Status",
        share_column="% of these",
    )
    return tables


def _evidence_tables(
    f: Disclosed, standards: list[tuple[str, str, int]], evidence: tuple[StandardEvidence, ...]
) -> dict[str, Table]:
    return {
        "standards_evidence": Table(
            "standards_evidence",
            "Evidence for standard 1.7 and domain 2",
            ("Standard", "Indicator", "Value"),
            tuple(
                Row(s.code, s.code, (label, cell)) for s in evidence for label, cell in s.indicators
            ),
            chart="",
        ),
        "standards_tagged": Table(
            "standards_tagged",
            "Other standards: concerns tagged",
            ("Standard", "Concerns"),
            tuple(
                Row(c, f"{c} {t}", (f.count("standard", c),))
                for c, t, _ in standards
                if c not in STANDARD_EVIDENCE
            ),
            chart="",
        ),
    }


def _organisations(scope: ReportScope, f: Disclosed) -> Table:
    rows = [
        Row(str(o.pk), o.name, (f.family.cell(f.period, o.pk, "total"),))
        for o in scope.organisations
    ]
    rows.append(Row("total", "Total", (f.measure("total:"),)))
    return Table(
        "organisation", "Concerns by organisation", ("Organisation", "Concerns"), tuple(rows)
    )


def _national(scope: ReportScope, f: Disclosed) -> tuple[Table, str, str]:
    national = national_figures_for(period=scope.period)
    rows = tuple(
        Row(
            n.measure,
            n.label,
            (f.share(n.measure, "total:"), Cell(float(n.percent), unit="%")),
        )
        for n in national
    )
    year = national[0].year if national else ""
    table = Table(
        "national",
        "Beside the nation",
        ("Measure", "This report", f"England {year}"),
        rows,
        f"National figures: {national[0].source}." if national else "",
        chart="",
    )
    return (
        table,
        (national[0].source if national else ""),
        (national[0].source_url if national else ""),
    )


def _standards(
    standards: list[tuple[str, str, int]], indicators: dict[str, Cell]
) -> tuple[StandardEvidence, ...]:
    text = {c: t for c, t, _ in standards}
    return tuple(
        StandardEvidence(
            code,
            text.get(code, ""),
            STANDARD_EVIDENCE_NOTES.get(code, ""),
            tuple((INDICATORS[k].label, indicators[k]) for k in keys),
        )
        for code, keys in STANDARD_EVIDENCE.items()
    )
