"""Django's PostgreSQL backend, reading timestamps with psycopg's C loader.

Django registers a Python subclass of psycopg's timestamptz loader (to set the time zone of
what it reads), and a subclass is not swapped for the C implementation: on a 50-row queue
page, parsing the 150 timestamps in Python was a sixth of the request's CPU. When the
connection's zone is UTC (Django's own choice with USE_TZ and no database TIME_ZONE), the C
loader already returns datetimes in UTC, so it is registered instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.backends.postgresql import base
from psycopg import adapters
from psycopg.postgres import types
from psycopg.pq import Format

_TIMESTAMPTZ = types["timestamptz"].oid


def _c_loader() -> type | None:
    """A loader class that makes C loaders, with the ``timezone`` attribute that Django's
    create_cursor compares (a C class can be neither subclassed nor given attributes)."""
    c_loader = adapters.get_loader(_TIMESTAMPTZ, Format.TEXT)
    if c_loader is None or c_loader.__module__.startswith("psycopg."):
        return None  # the pure-Python psycopg: nothing to gain

    class UtcTimestamptzLoader:
        timezone = dt.UTC
        format = c_loader.format

        def __new__(cls, oid: int, context: Any = None) -> Any:
            return c_loader(oid, context)

    return UtcTimestamptzLoader


_UTC_LOADER = _c_loader()


class DatabaseWrapper(base.DatabaseWrapper):
    def _configure_connection(self, connection: Any) -> bool:
        # Called for every new connection: by init_connection_state without a pool, and by
        # the pool itself when it opens one (config.settings pools by default), so a pooled
        # connection registers the loader once, not at every checkout.
        if _UTC_LOADER is not None and self.timezone is dt.UTC:
            connection.adapters.register_loader("timestamptz", _UTC_LOADER)
        return super()._configure_connection(connection)
