"""CSV and XLSX of the disclosed tables, and the lead guardian's quarterly data return."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from openpyxl import Workbook

from concerns.models import Organisation
from reports.disclosure import Cell
from reports.models import ReturnSchema
from reports.periods import Period
from reports.selectors import RawFigures
from reports.tables import Dashboard, Table

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: Cell | str) -> str:
    text = value.display if isinstance(value, Cell) else str(value)
    # Spreadsheet formula injection: labels are ours, but be safe with any text.
    return "'" + text if text.startswith(_FORMULA_START) and not _is_number(text) else text


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"-?[\d,.]+%?", text))


def _table_rows(table: Table, dashboard: Dashboard) -> Iterable[list[str]]:
    yield [table.title]
    yield [
        f"{dashboard.scope.period.label}; "
        + ", ".join(o.name for o in dashboard.scope.organisations)
    ]
    yield list(table.columns)
    for row in table.rows:
        yield [_text(row.label), *(_text(c) for c in row.cells)]
    if table.note:
        yield [table.note]
    yield ["'*' = 1 to 7 (withheld to protect reporters); other counts rounded to the nearest 5."]


def table_csv(table: Table, dashboard: Dashboard) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(_table_rows(table, dashboard))
    return out.getvalue()


def dashboard_xlsx(dashboard: Dashboard) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for table in dashboard.tables.values():
        sheet = book.create_sheet(title=table.key[:31])
        for row in _table_rows(table, dashboard):
            sheet.append(row)
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
            schema.version,
            organisation.code,
            organisation.name,
            period.label,
            field["key"],
            field["label"],
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
