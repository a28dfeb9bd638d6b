"""config.postgresql: the C timestamptz loader registered in place of Django's Python one
reads every value exactly as Django's own loader does, tz-aware in UTC."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's loader"),
]

VALUES = [
    "2026-12-02 06:51:25.123456+00",
    "2026-07-01 10:00:00+01",  # summer time, given with its offset
    "2026-03-29 00:59:59.999999+00",  # the instant before the clocks go forward
    "1970-01-01 00:00:00+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2024-02-29 12:00:00-05:30",
]


def _read(cursor) -> list[dt.datetime]:
    cursor.execute(
        "SELECT v::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n",
        [VALUES],
    )
    return [row[0] for row in cursor.fetchall()]


def test_the_loader_in_use_is_ours_when_it_can_be():
    from psycopg.postgres import types
    from psycopg.pq import Format

    from config.postgresql import base

    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(types["timestamptz"].oid, Format.TEXT)
    if base._UTC_LOADER is None:  # the pure-Python psycopg: Django's own stays
        assert loader is not None and loader.__module__.startswith("django.")
    else:
        assert loader is base._UTC_LOADER


def test_timestamps_read_equal_djangos_own_loader_and_are_utc():
    import psycopg
    from django.db.backends.postgresql.psycopg_any import get_adapters_template

    # Given the same values read through our connection and through one made with
    # Django's own adapters (its Python timestamptz loader, for UTC)
    with connection.cursor() as cursor:
        ours = _read(cursor)
    params = connection.get_connection_params()
    params["context"] = get_adapters_template(True, dt.UTC)
    params.pop("cursor_factory", None)
    with psycopg.connect(**params) as raw, raw.cursor() as cursor:
        djangos = _read(cursor)

    # Then every value is equal, and each is aware, in UTC
    assert ours == djangos
    for value in ours:
        assert value.utcoffset() == dt.timedelta(0)
    assert ours[1] == dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)
    assert ours[0].microsecond == 123456
