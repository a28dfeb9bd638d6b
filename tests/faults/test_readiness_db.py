"""Issue 19, item 2: ``/health/ready/`` says "not ready" (503, the database named) while
PostgreSQL cannot be reached, and "ready" again once it can, without a restart.

The app is served by uvicorn with its database connections through a TCP proxy of our own
(tests/faults/tools.py) that the test cuts and restores; a real Celery worker answers the ping
on a queue of this run's own, and beat's heartbeat row is written as beat would. Nothing is
mocked. Liveness answers throughout: the process is up, only its database is not.

The server's output goes to a file, not to a pipe: with the database down, django-health-check
logs a traceback for every failed check, and a pipe nobody reads fills up and stops the server
in the middle of a write (tools.start_uvicorn pipes stderr, which is why it is not used here)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.utils import timezone

from ops.models import Heartbeat
from tests.faults.tools import (
    ROOT,
    TcpProxy,
    free_port,
    port_answers,
    service_env,
    start_celery_worker,
    stop,
    wait_for,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def start_uvicorn(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    if not wait_for(lambda: port_answers(port) or process.poll() is not None, timeout=60):
        stop(process)
        raise RuntimeError("uvicorn did not start")
    if process.poll() is not None:
        raise RuntimeError("uvicorn exited: " + log.read_text()[-2000:])
    return process, port


@pytest.fixture
def served(django_db_setup, django_db_blocker, tmp_path):
    db = settings.DATABASES["default"]
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    proxy.restore()
    queue = f"h8-ready-{uuid.uuid4().hex[:8]}"
    direct = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    worker = start_celery_worker(service_env(DATABASE_URL=direct, CELERY_QUEUE=queue))
    env = service_env(
        DATABASE_URL=f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}",
        DB_CONNECT_TIMEOUT="2",
        DB_POOL_TIMEOUT="3",
        CELERY_QUEUE=queue,
    )
    process, port = start_uvicorn(env, tmp_path / "uvicorn.log")
    try:
        yield proxy, f"http://127.0.0.1:{port}"
    finally:
        stop(process)
        stop(worker)
        proxy.cut()


def ready(http: httpx.Client) -> tuple[int, dict]:
    response = http.get("/health/ready/")
    assert response.headers["content-type"] == "application/json"
    return response.status_code, response.json()


def cut_and_restore(http: httpx.Client, proxy: TcpProxy) -> tuple[int, dict]:
    """Ready; PostgreSQL cut: not ready, the database named; restored: the first ready answer."""
    Heartbeat.objects.update_or_create(name="beat", defaults={"at": timezone.now()})
    # given everything up (the worker may take a few seconds to answer its first ping)
    assert wait_for(lambda: ready(http)[0] == 200, timeout=60), ready(http)

    # when PostgreSQL cannot be reached
    proxy.cut()
    status, body = ready(http)
    assert status == 503, body
    assert body["status"] == "not ready"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["migrations"]["ok"] is False
    assert body["checks"]["celery_worker"]["ok"] is True  # (only the database is down)
    # no host or database name in the answer
    assert "127.0.0.1" not in str(body)
    assert settings.DATABASES["default"]["NAME"] not in str(body)
    live = http.get("/health/live/")
    assert live.status_code == 200 and live.json() == {"status": "live"}

    # then, PostgreSQL back, ready again from the same process
    proxy.restore()
    answers: list[tuple[int, dict]] = []
    assert wait_for(lambda: answers.append(ready(http)) or answers[-1][0] == 200, timeout=60), (
        answers[-3:]
    )
    return answers[-1]


def test_ready_is_503_with_the_database_down_and_200_when_it_is_back(served):
    proxy, base = served
    with httpx.Client(base_url=base, timeout=60) as http:
        status, body = cut_and_restore(http, proxy)
    assert status == 200 and body["status"] == "ready"
    assert body["checks"]["database"]["ok"] is True


def test_once_ready_again_it_stays_ready(served):
    """Found here: while connections came from the pool, the outage breaker
    (config/postgresql/base.py) stayed on, and the next request whose checks took every
    pooled connection was refused "database unavailable" (1 run in 3). Any connection the
    pool hands out now ends the outage."""
    proxy, base = served
    with httpx.Client(base_url=base, timeout=60) as http:
        cut_and_restore(http, proxy)
        after = [ready(http) for _ in range(5)]
    assert [status for status, _ in after] == [200] * 5, [b for s, b in after if s != 200][:1]
