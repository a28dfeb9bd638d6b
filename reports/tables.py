"""The dashboard as disclosed tables: the one shape pages, API and exports all render.

Every figure here has passed through ``Disclosure``; nothing below holds a raw count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.cache import cache

from concerns.models import Category, ProfessionalGroup, QualityStandard, ReporterRole, Route
from reports import spc
from reports.definitions import (
    INDICATORS,
    RESPONSE_INDICATORS,
    STANDARD_EVIDENCE,
    STANDARD_EVIDENCE_NOTES,
)
from reports.disclosure import Cell, Disclosure
from reports.selectors import RawFigures, ReportScope, national_figures_for
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


def _breakdown(
    key: str,
    title: str,
    figures: RawFigures,
    disclosure: Disclosure,
    labels: list[tuple[str, str]],
    column: str,
    note: str = "",
    with_total: bool = True,
) -> Table:
    total = figures.n("total")
    rows = [
        Row(
            value,
            label,
            (
                disclosure.count(figures.n(key, value)),
                disclosure.rate(figures.n(key, value), total),
            ),
        )
        for value, label in labels
    ]
    if with_total:
        parts = [figures.n(key, value) for value, _ in labels]
        rows.append(Row("total", "Total", (disclosure.total(parts), Cell(None, unit="%"))))
    return Table(key, title, (column, "Concerns", "% of concerns"), tuple(rows), note)


def _trend(figures: RawFigures, disclosure: Disclosure) -> tuple[spc.SpcChart, Table]:
    # Limits come from the unrounded counts; only disclosed values are shown beside them.
    chart = spc.xmr([n for _, n in figures.trend])
    rows = []
    for (month, n), point in zip(figures.trend, chart.points, strict=True):
        special = ", ".join(_rule_label(r) for r in point.rules) or "Common cause"
        rows.append(Row(f"{month:%Y-%m}", f"{month:%b %Y}", (disclosure.count(n), special)))
    note = (
        f"Statistical process control (XmR) over the {len(rows)} months to the end of the "
        f"period: mean {chart.mean:.0f}, process limits {chart.lower:.0f} to {chart.upper:.0f}."
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
            list(Category.objects.order_by("position", "name").values_list("slug", "name")),
            list(QualityStandard.objects.values_list("code", "text", "domain__number")),
        )
        cache.set("reports:reference", cached, REFERENCE_CACHE_SECONDS)
    return cached


def dashboard_build(*, scope: ReportScope, figures: RawFigures) -> Dashboard:
    d = Disclosure.current()
    chart, trend = _trend(figures, d)
    categories, standards = _reference_data()
    tables = {"trend": trend}
    tables["category"] = _breakdown(
        "category",
        "Concerns by category",
        figures,
        d,
        categories,
        "Category",
        "A concern can have several categories, so these add up to more than the total.",
        with_total=False,
    )
    tables["route"] = _breakdown(
        "route",
        "Concerns by route",
        figures,
        d,
        list(Route.choices),
        "Route",
        "The share raised anonymously is a signal of how safe people feel to speak up openly.",
    )
    tables["role"] = _breakdown(
        "role", "Concerns by reporter role", figures, d, list(ReporterRole.choices), "Role"
    )
    tables["group"] = _breakdown(
        "group",
        "Concerns by professional group",
        figures,
        d,
        list(ProfessionalGroup.choices),
        "Professional group",
    )
    orgs = [(str(o.pk), o.name) for o in scope.organisations]
    org_rows = [
        Row(pk, name, (d.count(figures.by_organisation.get(int(pk), 0)),)) for pk, name in orgs
    ]
    org_rows.append(Row("total", "Total", (d.total(figures.by_organisation.values()),)))
    tables["organisation"] = Table(
        "organisation", "Concerns by organisation", ("Organisation", "Concerns"), tuple(org_rows)
    )
    departments = sorted(figures.departments.items(), key=lambda kv: kv[1])
    if figures.n("department", "none"):
        departments.append(("none", "No department given"))
    tables["department"] = Table(
        "department",
        "Concerns by department",
        ("Department", "Concerns"),
        tuple(Row(k, label, (d.count(figures.n("department", k)),)) for k, label in departments),
    )
    tagged = [(c, f"{c} {t}") for c, t, _ in standards if figures.n("standard", c)]
    tables["standard"] = Table(
        "standard",
        "Concerns by quality standard",
        ("Standard", "Concerns"),
        tuple(Row(c, label, (d.count(figures.n("standard", c)),)) for c, label in tagged),
        "Standards a concern bears on; a concern can bear on several.",
    )
    indicators = {key: i.compute(figures, d) for key, i in INDICATORS.items()}
    tables["response"] = Table(
        "response",
        "How well concerns are responded to",
        ("Indicator", "Value"),
        tuple(Row(k, INDICATORS[k].label, (indicators[k],)) for k in RESPONSE_INDICATORS),
        "Concerns raised in the period, as they stand today (open and overdue: all cases now).",
        chart="",
    )
    tables["outcome"] = _outcome_like(
        "outcome", "Outcomes", figures, d, list(Upheld.choices), "Outcome"
    )
    tables["referral"] = _outcome_like(
        "referral", "Referred to", figures, d, list(ReferralDestination.choices), "Route"
    )
    tables["speak_up_again"] = _outcome_like(
        "speak_up_again",
        "Would you speak up again?",
        figures,
        d,
        list(SpeakUpAgain.choices),
        "Answer",
    )
    tables["status"] = _outcome_like(
        "status", "Where concerns stand now", figures, d, list(Status.choices), "Status"
    )
    national, source, url = _national(scope, figures, d)
    tables["national"] = national
    evidence = _standards(standards, indicators)
    tables["standards_evidence"] = Table(
        "standards_evidence",
        "Evidence for standard 1.7 and domain 2",
        ("Standard", "Indicator", "Value"),
        tuple(Row(s.code, s.code, (label, cell)) for s in evidence for label, cell in s.indicators),
        chart="",
    )
    tables["standards_tagged"] = Table(
        "standards_tagged",
        "Other standards: concerns tagged",
        ("Standard", "Concerns"),
        tuple(
            Row(c, f"{c} {t}", (d.count(figures.n("standard", c)),))
            for c, t, _ in standards
            if c not in STANDARD_EVIDENCE
        ),
        chart="",
    )
    return Dashboard(
        scope=scope,
        tables=tables,
        trend=chart,
        trend_months=tuple(m for m, _ in figures.trend),
        trend_cells=tuple(r.cells[0] for r in trend.rows),
        standards=evidence,
        national_source=source,
        national_url=url,
        indicators=indicators,
    )


def _outcome_like(
    key: str, title: str, figures: RawFigures, d: Disclosure, labels: list, column: str
) -> Table:
    total = figures.sum(key)
    rows = [
        Row(v, label, (d.count(figures.n(key, v)), d.rate(figures.n(key, v), total)))
        for v, label in labels
    ]
    rows.append(Row("total", "Total", (d.count(total), Cell(None, unit="%"))))
    return Table(key, title, (column, "Concerns", "% of these"), tuple(rows))


def _national(scope: ReportScope, figures: RawFigures, d: Disclosure) -> tuple[Table, str, str]:
    national = national_figures_for(period=scope.period)
    total = figures.n("total")
    rows = tuple(
        Row(
            f.measure,
            f.label,
            (d.rate(figures.measure(f.measure), total), Cell(float(f.percent), unit="%")),
        )
        for f in national
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
