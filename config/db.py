"""Database helpers shared by the apps (config/ is below every app of ours)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import Model


def model_from_row(model: type[Model], row: Sequence[Any]) -> Any:
    """An instance from a row of every concrete column of ``model``, in field order, with
    the values converted as the ORM would (dates from SQLite's text, say)."""
    values = list(row)
    for position, functions, column in _converters(model, connection.vendor):
        for function in functions:
            values[position] = function(values[position], column, connection)
    names = [f.attname for f in model._meta.concrete_fields]
    return model.from_db(connection.alias, names, values)


def columns_of(model: type[Model], alias: str) -> str:
    """``alias.column, ...`` for every concrete column of ``model``, in field order."""
    q = connection.ops.quote_name
    return ", ".join(f"{alias}.{q(f.column)}" for f in model._meta.concrete_fields)


@lru_cache
def _converters(model: type[Model], vendor: str) -> tuple:
    found = []
    for position, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:
            found.append((position, tuple(functions), column))
    return tuple(found)
