"""Key messages: the Board pack's first page, and the top of the committee dashboard.

What changed since the previous period, special causes on the trend, and standard 1.7 and
domain 2 at a glance, worked out ONLY from two disclosed dashboards (``reports.tables``):
never from exact counts (issue 13). A ``*`` or ``x`` cell is never compared or differenced:
a change resting on one says "too few to show" instead, so these messages add nothing to
what the two periods' own tables already show.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

from reports.disclosure import Cell
from reports.periods import FIRST_YEAR, Period, add_months, financial_year, quarter
from reports.protection import DisclosureUnsafe
from reports.selectors import report_figures
from reports.spc import MIN_POINTS
from reports.tables import RULE_LABELS, Dashboard, dashboard_build

TOO_FEW = "Too few to show"
WITHHELD_WORDS = "Withheld"
# The headline measures compared with the previous period (keys of reports.definitions).
COMPARED = (
    "total",
    "anonymous_share",
    "ack_within",
    "feedback_within",
    "detriment",
    "speak_up_again_yes",
)
COMPARED_LABELS = {
    "total": "Concerns raised",
    "anonymous_share": "Raised anonymously",
    "ack_within": "Acknowledged within 2 working days",
    "feedback_within": "Feedback within 3 months",
    "detriment": "Detriment reported",
    "speak_up_again_yes": "Would speak up again: yes",
}


@dataclass(frozen=True)
class Change:
    label: str
    now: str
    before: str
    change: str


@dataclass(frozen=True)
class Glance:
    label: str
    standards: str
    value: str


@dataclass(frozen=True)
class KeyMessages:
    period: str
    previous: str  # the previous period's label ("" when there is none to compare)
    previous_note: str  # why there is no comparison, when there is not
    changes: tuple[Change, ...]
    trend: tuple[str, ...]
    standard_1_7: tuple[Glance, ...]
    domain_2: tuple[Glance, ...]

    @property
    def glances(self) -> tuple[tuple[str, tuple[Glance, ...]], ...]:
        return (
            ("Standard 1.7 at a glance: able to speak up without fear", self.standard_1_7),
            ("Domain 2 at a glance: educational governance", self.domain_2),
        )


def previous_period(period: Period) -> Period | None:
    """The period of the same kind just before this one (None before the first year)."""
    if period.kind == "month":
        month = add_months(period.first_month, -1)
        previous = Period("month", month, month)
    elif period.kind == "quarter":
        first = add_months(period.first_month, -3)
        fy = first.year if first.month >= 4 else first.year - 1
        previous = quarter(fy, (first.month - 4) % 12 // 3 + 1)
    elif period.kind == "year":
        previous = financial_year(period.first_month.year - 1)
    else:
        return None
    return previous if previous.first_month.year >= FIRST_YEAR else None


def words(cell: Cell) -> str:
    """A disclosed figure as the key messages say it: a `*` or `x` is never a number."""
    if cell.withheld:
        return WITHHELD_WORDS
    if cell.suppressed:
        return TOO_FEW
    return cell.display


def change_of(now: Cell, before: Cell) -> str:
    """The change between two disclosed figures, or why there is none to give."""
    if now.suppressed or before.suppressed:
        return TOO_FEW
    if now.value is None or before.value is None:
        return "No figure to compare"
    delta = float(now.value) - float(before.value)
    if delta == 0:
        return "No change"
    size = f"{abs(delta):,.0f}" + (" points" if now.unit == "%" else "")
    return f"{'Up' if delta > 0 else 'Down'} {size}"


def _changes(current: Dashboard, previous: Dashboard | None) -> tuple[Change, ...]:
    rows = []
    for key in COMPARED:
        now = current.indicators[key]
        if previous is None:
            rows.append(Change(COMPARED_LABELS[key], str(now), "", ""))
            continue
        before = previous.indicators[key]
        rows.append(Change(COMPARED_LABELS[key], str(now), str(before), change_of(now, before)))
    return tuple(rows)


def trend_messages(dashboard: Dashboard) -> tuple[str, ...]:
    """Special-cause variation on the trend, in runs of months, from the disclosed months."""
    chart, months = dashboard.trend, dashboard.trend_months
    if not months:
        return ("No months to chart yet.",)
    span = f"the {len(months)} months to {months[-1]:%B %Y}"
    if chart.withheld:
        return (
            f"Not assessed over {span}: a month is withheld (x), so the mean and limits "
            "are withheld too.",
        )
    if not chart.has_limits:
        return (f"Not assessed: {span} are too few for process limits ({MIN_POINTS} are needed).",)
    flagged = [
        (i, month, _variation(point.rules))
        for i, (month, point) in enumerate(zip(months, chart.points, strict=True))
        if point.rules
    ]
    if not flagged:
        return (
            f"No special-cause variation over {span}: common cause only (mean "
            f"{chart.mean:.0f}, process limits {chart.lower:.0f} to {chart.upper:.0f}).",
        )
    runs = []
    # Runs of consecutive months flagged alike (index minus position is constant in a run).
    for (_, label), group in itertools.groupby(
        enumerate(flagged), key=lambda item: (item[1][0] - item[0], item[1][2])
    ):
        run = [month for _, (_, month, _) in group]
        when = f"{run[0]:%b %Y}" + (f" to {run[-1]:%b %Y}" if len(run) > 1 else "")
        runs.append(f"{when}: {label}.")
    return (f"Special-cause variation over {span}:", *runs)


def _variation(rules: tuple[str, ...]) -> str:
    """A flagged month in words: which way, and by which Making Data Count rules."""
    sides = {rule.partition(":")[2] for rule in rules}
    side = sides.pop() if len(sides) == 1 else "high and low"
    reasons = "; ".join(RULE_LABELS[rule.partition(":")[0]] for rule in rules)
    return f"unusually {side} ({reasons})"


def _glances(dashboard: Dashboard, domain_2: bool) -> tuple[Glance, ...]:
    """Each indicator once, with the standards it evidences (1.7, or those of domain 2)."""
    codes: dict[str, list[str]] = {}
    values: dict[str, Cell] = {}
    for standard in dashboard.standards:
        wanted = standard.code.startswith("2.") if domain_2 else standard.code == "1.7"
        if not wanted:
            continue
        for label, cell in standard.indicators:
            codes.setdefault(label, []).append(standard.code)
            values[label] = cell
    return tuple(Glance(label, ", ".join(codes[label]), words(values[label])) for label in codes)


def key_messages(current: Dashboard, previous: Dashboard | None, note: str = "") -> KeyMessages:
    """The key messages of a disclosed dashboard, beside the previous period's (if any)."""
    return KeyMessages(
        period=current.scope.period.label,
        previous=previous.scope.period.label if previous else "",
        previous_note=note,
        changes=_changes(current, previous),
        trend=trend_messages(current),
        standard_1_7=_glances(current, domain_2=False),
        domain_2=_glances(current, domain_2=True),
    )


def key_messages_for(dashboard: Dashboard) -> KeyMessages:
    """Key messages for a dashboard, building the previous period's for the same scope (the
    same organisations and disclosure family, so under the same protection)."""
    period = previous_period(dashboard.scope.period)
    if period is None:
        return key_messages(dashboard, None, "There is no previous period to compare.")
    scope = dataclasses.replace(dashboard.scope, period=period)
    try:
        previous = dashboard_build(scope=scope, figures=report_figures(scope=scope))
    except DisclosureUnsafe:
        return key_messages(
            dashboard, None, f"{period.label}: withheld, so no change can be shown."
        )
    return key_messages(dashboard, previous)
