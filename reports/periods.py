"""Report periods: the fixed definitions a committee may choose from.

A month, a quarter or a financial year (April to March, as the NHS reports), or a custom
run of whole months. Months are local (Europe/London) calendar months of when a concern
was raised.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import timezone

MAX_MONTHS = 36
KINDS = ("month", "quarter", "year", "custom")


class PeriodInvalid(ValueError):
    pass


def month_of(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date().replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The aware instants a local calendar month starts and ends at."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(month, dt.time.min).replace(tzinfo=tz)
    end = dt.datetime.combine(add_months(month, 1), dt.time.min).replace(tzinfo=tz)
    return start, end


def financial_year_of(month: dt.date) -> int:
    return month.year if month.month >= 4 else month.year - 1


def fy_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


@dataclass(frozen=True)
class Period:
    kind: str
    first_month: dt.date
    last_month: dt.date

    @property
    def months(self) -> list[dt.date]:
        out, month = [], self.first_month
        while month <= self.last_month:
            out.append(month)
            month = add_months(month, 1)
        return out

    @property
    def label(self) -> str:
        first, last = self.first_month, self.last_month
        if self.kind == "month":
            return first.strftime("%B %Y")
        if self.kind == "year":
            return f"Financial year {fy_label(first.year)}"
        if self.kind == "quarter":
            fy = financial_year_of(first)
            quarter = (first.month - 4) % 12 // 3 + 1
            return f"Q{quarter} {fy_label(fy)} ({first:%b} to {last:%b %Y})"
        return f"{first:%B %Y} to {last:%B %Y}"

    @property
    def query(self) -> dict[str, str]:
        """The query parameters that select this period again."""
        if self.kind == "month":
            return {"period": "month", "month": f"{self.first_month:%Y-%m}"}
        if self.kind == "year":
            return {"period": "year", "year": str(self.first_month.year)}
        if self.kind == "quarter":
            fy = financial_year_of(self.first_month)
            quarter = (self.first_month.month - 4) % 12 // 3 + 1
            return {"period": "quarter", "quarter": f"{fy}-Q{quarter}"}
        return {
            "period": "custom",
            "from": f"{self.first_month:%Y-%m}",
            "to": f"{self.last_month:%Y-%m}",
        }

    @property
    def financial_year(self) -> str:
        return fy_label(financial_year_of(self.last_month))


FIRST_YEAR, LAST_YEAR = 2000, 2999  # outside these a date would not even be computable


def _month(text: str) -> dt.date:
    match = re.fullmatch(r"(\d{4})-(\d{2})", text or "")
    if not match or not 1 <= int(match[2]) <= 12:
        raise PeriodInvalid("Give a month as YYYY-MM.")
    if not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        raise PeriodInvalid(f"Give a month from {FIRST_YEAR} on, as YYYY-MM.")
    return dt.date(int(match[1]), int(match[2]), 1)


def _year(text: str) -> int:
    if not re.fullmatch(r"\d{4}", text or ""):
        raise PeriodInvalid("Give a financial year as the year it starts, e.g. 2024.")
    if not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise PeriodInvalid(f"Give a financial year from {FIRST_YEAR} on, e.g. 2024.")
    return int(text)


def financial_year(year: int) -> Period:
    return Period("year", dt.date(year, 4, 1), dt.date(year + 1, 3, 1))


def quarter(year: int, number: int) -> Period:
    first = add_months(dt.date(year, 4, 1), 3 * (number - 1))
    return Period("quarter", first, add_months(first, 2))


def quarter_parse(text: str) -> Period:
    match = re.fullmatch(r"(\d{4})-Q([1-4])", text or "")
    if not match:
        raise PeriodInvalid("Give a quarter as YYYY-Qn (n = 1 for April to June).")
    return quarter(_year(match[1]), int(match[2]))


def period_parse(params: Mapping[str, str], *, today: dt.date | None = None) -> Period:
    """Read a committee report's period from query parameters (by default the current
    financial year): a month, a quarter or a financial year that has begun.

    Custom runs of months are refused: two runs differing by one month would let that
    month be worked out, and the disclosure family (reports.family) covers the fixed
    periods only."""
    today = today or timezone.localdate()
    kind = params.get("period") or "year"
    if kind == "custom":
        raise PeriodInvalid(
            "Custom runs of months are not offered, so that one month cannot be worked out "
            "from two runs: choose a month, a quarter or a financial year."
        )
    if kind not in KINDS:
        raise PeriodInvalid("Choose a month, a quarter or a financial year.")
    if kind == "month":
        month = _month(params.get("month", ""))
        period = Period("month", month, month)
    elif kind == "quarter":
        period = quarter_parse(params.get("quarter", ""))
    else:
        text = params.get("year") or str(financial_year_of(today.replace(day=1)))
        period = financial_year(_year(text))
    if period.first_month > today.replace(day=1):
        raise PeriodInvalid(
            f"{period.label} has not begun yet: choose a period up to {today:%B %Y}."
        )
    return period
