"""Django's PostgreSQL backend, reading timestamps with psycopg's C loader.

Django registers a Python subclass of psycopg's timestamptz loader (to set the time zone of
what it reads), and a subclass is not swapped for the C implementation: on a 50-row queue
page, parsing the 150 timestamps in Python was a sixth of the request's CPU. When the
connection's zone is UTC (Django's own choice with USE_TZ and no database TIME_ZONE), the C
loader already returns datetimes in UTC, so it is registered instead.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg import adapters
from psycopg.postgres import types
from psycopg.pq import Format
from psycopg_pool import PoolTimeout

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


# After the pool failed to hand out a connection because PostgreSQL does not answer (not
# merely because every connection is busy: a direct connection attempt fails too), requests
# fail at once instead of each waiting the pool's whole timeout: a 503 in milliseconds.
# Every OUTAGE_RETRY_SECONDS one request probes again, and the first that connects ends it.
OUTAGE_RETRY_SECONDS = 5.0
_outage = {"since": 0.0, "retry_at": 0.0}


def _reachable(pool: Any) -> bool:
    try:
        psycopg.connect(pool.conninfo, **{**pool.kwargs, "connect_timeout": 2}).close()
    except psycopg.Error:
        return False
    return True


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        pool = self.pool
        if pool is None:
            return super().get_new_connection(conn_params)
        if _outage["since"] and not pool.get_stats().get("pool_available"):
            if time.monotonic() < _outage["retry_at"] or not _reachable(pool):
                _outage["retry_at"] = max(
                    _outage["retry_at"], time.monotonic() + OUTAGE_RETRY_SECONDS
                )
                raise psycopg.OperationalError("database unavailable")
            _outage["since"] = 0.0
        try:
            connection = super().get_new_connection(conn_params)
        except PoolTimeout:
            if not _reachable(pool):
                _outage["since"] = _outage["since"] or time.monotonic()
                _outage["retry_at"] = time.monotonic() + OUTAGE_RETRY_SECONDS
            raise
        _outage["since"] = 0.0  # the pool handed one out: PostgreSQL answers again
        return connection

    def _configure_connection(self, connection: Any) -> bool:
        # Called for every new connection: by init_connection_state without a pool, and by
        # the pool itself when it opens one (config.settings pools by default), so a pooled
        # connection registers the loader once, not at every checkout.
        if _UTC_LOADER is not None and self.timezone is dt.UTC:
            connection.adapters.register_loader("timestamptz", _UTC_LOADER)
        return super()._configure_connection(connection)
