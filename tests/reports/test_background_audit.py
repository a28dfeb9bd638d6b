"""A committee family too large for the request's integer program is checked by a real
Celery worker on the real Redis broker (``reports.tasks.audit_family``): until then the
report says so and withholds every figure of the organisations together; afterwards it
reads as the integer program has it.

Skipped, loudly, without REDIS_URL (the SQLite pass checks the same path with the task run
in process: tests/reports/test_adversary.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from django.core.cache import cache

from concerns.roles import Role
from reports import family
from tests.factories import make_user
from tests.notifications import test_worker
from tests.notifications.test_worker import (  # noqa: F401 (the worker tests' own fixtures)
    _empty_queue,
    _worker_closes_its_connection,
    wait_for,
    worker,
)
from tests.reports import adversary
from tests.reports.test_adversary import GAP

# services, transactions, and the worker tests' loud skip (or failure) without Redis
pytestmark = test_worker.pytestmark

NONE = "\u2013"  # a share or median withheld with its figures
DASHBOARD = "/api/v1/reports/dashboard/?period=year&year=2024"


def _together(data: dict) -> set:
    """The figures of the organisations together, as the API gives them (the response and
    route tables of the scope of both)."""
    return {
        cell["display"]
        for table in data["tables"]
        if table["key"] in ("response", "route")
        for row in table["rows"]
        for cell in row["cells"][:1]
    }


@pytest.fixture
def regional(client, org, other_org, settings):
    """Two organisations' concerns, a committee member of both signed in, and limits such
    that each organisation's own family is checked in the request but the family of both
    only on the worker; nothing audited yet. Gives the limits that would check the family
    of both in the request."""
    org_ids = sorted([org.pk, other_org.pk])
    adversary.load(adversary.atoms_for(org_ids, GAP))
    now = dt.datetime.now(dt.UTC)
    sizes = [
        family.published_size(dict(family.Reads((o,), now).exact_items(2024))) for o in org_ids
    ]
    both = family.published_size(dict(family.Reads(tuple(org_ids), now).exact_items(2024)))
    policy = settings.SPEAKUP_DISCLOSURE
    settings.SPEAKUP_DISCLOSURE = replace(policy, exact_cells=max(sizes), background_cells=both)
    family._audited.cache_clear()
    cache.clear()  # (the test Redis database: nothing kept from an earlier run)
    client.force_login(make_user(Role.COMMITTEE, org, other_org, username="regional"))
    return replace(policy, exact_cells=both)


def _checked(client) -> bool:
    family._audited.cache_clear()  # (this process's memory: as a request in another)
    return client.get(DASHBOARD).json()["checking"] is False


def test_a_real_worker_checks_a_family_too_large_for_the_request(client, regional, settings):
    with worker():
        # When the member asks for the report of both
        first = client.get(DASHBOARD)
        # Then it says the figures together are being checked, and withholds them
        assert first.status_code == 200 and first.json()["checking"] is True
        assert _together(first.json()) <= {"x", "0", NONE}
        # And once the worker has checked them, the report shows them
        assert wait_for(lambda: _checked(client), timeout=60)
    data = client.get(DASHBOARD).json()
    assert _together(data) - {"x", "0", NONE}, "the figures together are shown"
    # And what it shows is what the integer program gives in the request, with no worker
    settings.SPEAKUP_DISCLOSURE = regional
    family._audited.cache_clear()
    cache.clear()
    assert client.get(DASHBOARD).json() == data


def test_with_the_broker_away_the_report_still_answers_and_asks_again_later(client, regional):
    # Given the broker unreachable
    with test_worker.broker_at(f"redis://127.0.0.1:{test_worker.closed_port()}/5"):
        # When the member asks for the report of both, it answers, withholding them together
        first = client.get(DASHBOARD)
        assert first.status_code == 200 and first.json()["checking"] is True
    # And when the broker is back, the next request asks the worker again, which checks it
    with worker():
        assert not _checked(client)
        assert wait_for(lambda: _checked(client), timeout=60)


def test_the_audits_waiting_for_a_worker_are_counted_in_the_metrics(client, regional, settings):
    from config.celery import app
    from ops.rules import MetricsPolicy

    settings.SPEAKUP_METRICS = MetricsPolicy(token="metrics-token-0123456789abcdef")
    bearer = {"HTTP_AUTHORIZATION": "Bearer metrics-token-0123456789abcdef"}
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(settings.CELERY_AUDIT_QUEUE)
    # Given a family asked of the worker while no audit worker runs
    assert client.get(DASHBOARD).json()["checking"] is True
    # Then the metrics count it as waiting
    text = client.get("/metrics", **bearer).content.decode()
    assert "speakup_committee_audits_queued 1.0" in text
    # And once a worker has taken it, none is
    with worker():
        assert wait_for(lambda: _checked(client), timeout=60)
    text = client.get("/metrics", **bearer).content.decode()
    assert "speakup_committee_audits_queued 0.0" in text
