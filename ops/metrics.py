"""Prometheus figures: requests and tasks (counted where they happen) and the service's own
(open and overdue cases, the outbox backlog and its oldest age, failed deliveries: read from
the database when scraped).

Labels are closed sets: route *names*, methods, status codes, task names, case states and
routes. Never a reference, a name, an address or a category (categories of anonymous
concerns could single a reporter out in a small organisation).

Several processes (gunicorn workers, Celery's pool) share figures through prometheus-client's
multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR`` is set (``scripts/production`` sets it).
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "speakup_http_requests_total", "HTTP requests answered", ["route", "method", "status"]
)
REQUEST_SECONDS = Histogram(
    "speakup_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASKS = Counter("speakup_celery_tasks_total", "Celery tasks run", ["task", "outcome"])
TASK_SECONDS = Histogram(
    "speakup_celery_task_duration_seconds",
    "Time a Celery task ran",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120),
)


def observe_request(*, route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route=route, method=method, status=str(status)).inc()
    REQUEST_SECONDS.labels(route=route, method=method).observe(seconds)


def observe_task(*, task: str, outcome: str, seconds: float | None) -> None:
    TASKS.labels(task=task, outcome=outcome).inc()
    if seconds is not None:
        TASK_SECONDS.labels(task=task).observe(seconds)


class ServiceCollector:
    """The service's own gauges, read from the database at scrape time (so every web
    process gives the same answer, whichever one is scraped)."""

    def collect(self):
        from django.db import DatabaseError

        from ops import selectors

        try:
            figures = selectors.service_figures()
        except DatabaseError:
            # The database is down: say so, and still serve the request and task figures.
            yield GaugeMetricFamily(
                "speakup_service_figures_up", "Service figures read from the database", value=0
            )
            return
        yield GaugeMetricFamily(
            "speakup_service_figures_up", "Service figures read from the database", value=1
        )
        open_cases = GaugeMetricFamily(
            "speakup_cases_open", "Open cases", labels=["status", "route"]
        )
        for (status, route), count in sorted(figures.open_by_status_route.items()):
            open_cases.add_metric([status, route], count)
        yield open_cases
        yield GaugeMetricFamily(
            "speakup_cases_overdue", "Open cases past their due date", value=figures.overdue
        )
        yield GaugeMetricFamily(
            "speakup_outbox_backlog",
            "Deliveries due and not yet sent",
            value=figures.backlog,
        )
        yield GaugeMetricFamily(
            "speakup_outbox_oldest_age_seconds",
            "How long the oldest due, unsent delivery has waited (0 when none)",
            value=figures.backlog_oldest_seconds,
        )
        yield GaugeMetricFamily(
            "speakup_outbox_unplanned_events",
            "Case events whose deliveries have not been planned yet",
            value=figures.unplanned_events,
        )
        yield GaugeMetricFamily(
            "speakup_deliveries_failing",
            "Unsent deliveries that have failed at least once",
            value=figures.failing,
        )
        yield GaugeMetricFamily(
            "speakup_delivery_failures_total",
            "Failed delivery attempts of unsent deliveries",
            value=figures.failed_attempts,
        )
        queued = audits_queued()
        if queued is not None:  # (eager, or the broker away: not known)
            yield GaugeMetricFamily(
                "speakup_committee_audits_queued",
                "Committee audits waiting for the audit worker (reports.tasks.audit_family)",
                value=queued,
            )


def audits_queued() -> int | None:
    """How many committee audits wait on their queue (None: no broker, or not reachable).
    A figure that stays above 0 means no audit worker is taking them: the large families'
    figures of several organisations stay withheld meanwhile."""
    from django.conf import settings
    from kombu.exceptions import ChannelError

    from config.celery import app

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    try:
        with app.connection_for_read() as connection:
            declared = connection.default_channel.queue_declare(
                queue=settings.CELERY_AUDIT_QUEUE, passive=True
            )
    except ChannelError:  # no such queue: Redis keeps no empty list
        return 0
    except Exception:
        return None
    return int(declared.message_count)


def registry() -> CollectorRegistry:
    reg = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every process's files: gunicorn workers, Celery's pool (same machine).
        MultiProcessCollector(reg)
    else:
        for collector in (REQUESTS, REQUEST_SECONDS, TASKS, TASK_SECONDS):
            reg.register(collector)
    reg.register(ServiceCollector())
    return reg


def allowed(request: HttpRequest) -> bool:
    """A bearer token (``METRICS_TOKEN``) or a client address in ``METRICS_ALLOW_IPS``
    (addresses or networks). Neither set: nobody."""
    token = settings.SPEAKUP_METRICS.token
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer "):
        return hmac.compare_digest(given.removeprefix("Bearer ").encode(), token.encode())
    if settings.SPEAKUP_METRICS.allow_networks:
        try:
            addr = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(addr in net for net in settings.SPEAKUP_METRICS.networks())
    return False


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
