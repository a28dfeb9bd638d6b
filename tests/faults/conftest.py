"""Fault tests need the production services: PostgreSQL (shared by the test and the
processes it starts) and Redis. On the embedded defaults they are skipped LOUDLY; with
SPEAKUP_REQUIRE_SERVICES=1 a missing service is an error, not a skip."""

from __future__ import annotations

import os
import socket
import warnings
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port or default_port), 2).close()
    except (OSError, TypeError):
        return False
    return True


def services_missing() -> str:
    if connection.vendor != "postgresql":
        return "DATABASE_URL is not PostgreSQL"
    if not settings.REDIS_URL or not _reachable(settings.REDIS_URL, 6379):
        return "REDIS_URL is not set or Redis is not reachable"
    return ""


def pytest_collection_modifyitems(config, items):
    missing = services_missing()
    if not missing:
        return
    reason = (
        f"!!! FAULT TESTS SKIPPED: {missing}. Redis/PostgreSQL cuts, killed workers and "
        "stalled mail servers were NOT tested on this run. !!!"
    )
    mine = [
        i for i in items if "tests/faults/" in str(i.fspath) and not i.get_closest_marker("sqlite")
    ]
    if not mine:
        return
    if os.environ.get("SPEAKUP_REQUIRE_SERVICES") == "1":
        raise pytest.UsageError(reason)
    warnings.warn(reason, stacklevel=1)
    for item in mine:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _no_anonymous_delay(settings):
    settings.SPEAKUP_ANONYMOUS_NOTIFY_DELAY = (0, 0)


@pytest.fixture(autouse=True)
def _broker_presumed_up():
    from notifications import tasks
    from notifications.services import sending

    tasks._broker_down_until = 0.0
    sending._mail_away["until"] = 0.0  # nor any send found the mail server away
    yield
    tasks._broker_down_until = 0.0
