"""Health: ``/health/live/`` (the process answers) and ``/health/ready/`` (it can do its
work). Built on django-health-check: its database, Redis and Celery-ping checks, plus ours for
migrations, beat's heartbeat and the outbox's oldest due delivery. JSON; 503 when not ready.

Answers name the check and say why it failed in fixed words; no host, key or case data.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor

from django.conf import settings
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from health_check import checks
from health_check.base import HealthCheck
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


class _ClosesConnections:
    """Sync checks run in a pool thread: close that thread's database connection after."""

    def run(self) -> None:
        try:
            super().run()  # type: ignore[misc]
        finally:
            connections.close_all()


@dataclasses.dataclass
class Database(_ClosesConnections, checks.Database):
    pass


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration on disk is applied (a deploy that forgot ``migrate`` is not ready)."""

    def run(self) -> None:
        try:
            executor = MigrationExecutor(connections["default"])
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as exc:
            raise ServiceUnavailable("cannot read the migration state") from exc
        finally:
            connections.close_all()
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migration(s) not applied")


@dataclasses.dataclass
class CeleryWorker(Ping):
    """A worker answered a ping (and consumes our queue) within the policy's seconds."""

    def __post_init__(self) -> None:
        self.timeout = dt.timedelta(seconds=settings.SPEAKUP_HEALTH.worker_ping_seconds)
        self.limit = 1

    def run(self) -> None:
        try:
            super().run()
        except ServiceUnavailable:
            raise
        except Exception as exc:  # the broker itself is down: kombu's errors vary
            raise ServiceUnavailable("broker unreachable") from exc

    def check_active_queues(self, *active_workers: str) -> None:
        """The worker that answered consumes the deliveries' queue. (The committee audits'
        own worker takes no remote control, so it never answers first; it is watched by
        ``speakup_committee_audits_queued``: while it is away the service still serves.)"""
        inspect = self.app.control.inspect(list(active_workers))
        names = {
            queue.get("name")
            for queues in (inspect.active_queues() or {}).values()
            for queue in queues
        }
        if settings.CELERY_TASK_DEFAULT_QUEUE not in names:
            raise ServiceUnavailable(
                f"No worker for Celery task queue {settings.CELERY_TASK_DEFAULT_QUEUE}"
            )


@dataclasses.dataclass
class Beat(HealthCheck):
    """Beat scheduled ``ops.heartbeat`` and a worker ran it recently."""

    def run(self) -> None:
        from ops.models import Heartbeat

        try:
            at = Heartbeat.objects.filter(name="beat").values_list("at", flat=True).first()
        finally:
            connections.close_all()
        limit = settings.SPEAKUP_HEALTH.beat_max_age_seconds
        if at is None:
            raise ServiceUnavailable("beat has not run yet")
        age = (timezone.now() - at).total_seconds()
        if age > limit:
            raise ServiceUnavailable(f"beat last ran {age:.0f} s ago (limit {limit} s)")


@dataclasses.dataclass
class Outbox(HealthCheck):
    """The oldest due, unsent delivery has not waited longer than the policy allows."""

    def run(self) -> None:
        from ops.selectors import outbox_oldest_age

        try:
            age = outbox_oldest_age()
        finally:
            connections.close_all()
        limit = settings.SPEAKUP_HEALTH.outbox_max_age_seconds
        if age > limit:
            raise ServiceUnavailable(f"oldest due delivery waited {age:.0f} s (limit {limit} s)")


def _redis_client():
    from redis.asyncio import Redis as RedisClient

    return RedisClient.from_url(
        settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2, retry_on_timeout=False
    )


NAMES = {
    Database: "database",
    Migrations: "migrations",
    Redis: "redis",
    CeleryWorker: "celery_worker",
    Beat: "celery_beat",
    Outbox: "outbox",
}


class ReadyView(HealthCheckView):
    """JSON always (whatever the Accept header), 503 when any check fails."""

    def get_checks(self) -> Iterator[HealthCheck]:
        yield Database()
        yield Migrations()
        if settings.REDIS_URL:
            yield Redis(client_factory=_redis_client)
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            # With Celery eager (embedded default) there is no worker and no beat to ask.
            yield CeleryWorker()
            yield Beat()
        yield Outbox()

    def get_executor(self) -> contextlib.AbstractContextManager[Executor | None]:
        return ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")

    async def get(self, request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
        with self.get_executor() as executor:
            self.results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        body = {
            NAMES.get(type(r.check), type(r.check).__name__): {
                "ok": r.error is None,
                "seconds": round(r.time_taken, 3),
                **({"error": r.error.message} if r.error else {}),
            }
            for r in self.results
        }
        ready = all(r.error is None for r in self.results)
        return JsonResponse(
            {"status": "ready" if ready else "not ready", "checks": body},
            status=200 if ready else 503,
        )


@never_cache
def live(request: HttpRequest) -> JsonResponse:
    """The process is up and answering; touches nothing else."""
    return JsonResponse({"status": "live"})


ready = ReadyView.as_view()
