"""CSV and XLSX of the disclosed tables, and the lead guardian's quarterly data return."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

from openpyxl import Workbook

from reports.disclosure import Cell
from reports.models import ReturnSchema
from reports.periods import Period
from reports.selectors import RawFigures
from reports.tables import Dashboard, Table

if TYPE_CHECKING:
    from concerns.models import Organisation

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """Spreadsheet formula injection: any text a spreadsheet could read as a formula (or
    that starts with a tab or carriage return) is given a leading apostrophe. Applied to
    every text cell of every export, titles and organisation names included."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _text(value: Cell | str) -> str:
    return safe_text(value.display if isinstance(value, Cell) else str(value))


def _number(value: Cell | str) -> str | int | float:
    """A shown figure as a number; "*", "x" and "not applicable" as text."""
    if isinstance(value, Cell) and value.value is not None and not value.suppressed:
        number = value.value
        if value.unit == "%":
            return float(number) / 100
        return int(number) if float(number).is_integer() else float(number)
    return _text(value)


def _heading_rows(table: Table, dashboard: Dashboard) -> list[list[str]]:
    scope = dashboard.scope
    return [
        [safe_text(table.title)],
        [safe_text(f"{scope.period.label}; " + ", ".join(o.name for o in scope.organisations))],
        [safe_text(c) for c in table.columns],
    ]


FOOTNOTE = (
    "'*' = 1 to 7 (withheld to protect reporters); 'x' = more than 7, withheld so that no '*' "
    "can be worked out; other counts rounded to the nearest 5; percentages are of the "
    "rounded counts."
)


def _table_rows(table: Table, dashboard: Dashboard) -> Iterable[list[str]]:
    yield from _heading_rows(table, dashboard)
    for row in table.rows:
        yield [_text(row.label), *(_text(c) for c in row.cells)]
    if table.note:
        yield [safe_text(table.note)]
    yield [safe_text(FOOTNOTE)]


def table_csv(table: Table, dashboard: Dashboard) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(_table_rows(table, dashboard))
    return out.getvalue()


def dashboard_xlsx(dashboard: Dashboard) -> bytes:
    """Every table, a sheet each: figures as numbers (percentages as percentages), "*",
    "x" and "not applicable" as text."""
    book = Workbook()
    book.remove(book.active)
    for table in dashboard.tables.values():
        sheet = book.create_sheet(title=table.key[:31])
        for row in _heading_rows(table, dashboard):
            sheet.append(row)
        for row in table.rows:
            sheet.append([_text(row.label), *(_number(c) for c in row.cells)])
            for cell, value in zip(sheet[sheet.max_row][1:], row.cells, strict=False):
                if isinstance(value, Cell) and isinstance(cell.value, (int, float)):
                    cell.number_format = {"%": "0%", "days": "0.0"}.get(value.unit, "#,##0")
        if table.note:
            sheet.append([safe_text(table.note)])
        sheet.append([safe_text(FOOTNOTE)])
        sheet.column_dimensions["A"].width = 60
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


RETURN_COLUMNS = [
    "schema_version",
    "organisation_code",
    "organisation",
    "period",
    "field",
    "label",
    "count",
]


def data_return_rows(
    *, schema: ReturnSchema, organisation: Organisation, period: Period, figures: RawFigures
) -> list[list[str | int]]:
    """Exact counts (the lead guardian's own return): one row per schema field."""
    return [
        [
            safe_text(schema.version),
            safe_text(organisation.code),
            safe_text(organisation.name),
            safe_text(period.label),
            safe_text(field["key"]),
            safe_text(field["label"]),
            figures.measure(field["measure"]),
        ]
        for field in schema.fields
    ]


def data_return_csv(rows: list[list[str | int]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RETURN_COLUMNS)
    writer.writerows(rows)
    return out.getvalue()
