"""PostgreSQL under load and cut, against the app served by uvicorn (2 workers) whose
database connections go through a TCP proxy of our own.

- 20 concurrent clients never hold more connections than the pool allows (2 x 3), sampled
  from pg_stat_activity while they run.
- With the proxy cut, every request answers 503 (JSON for the API, a calm page otherwise)
  with Retry-After, never 500; once restored, the same processes answer again.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter

import httpx
import pytest
from django.conf import settings
from django.db import connection

from concerns.models import Concern
from tests.faults.tools import TcpProxy, service_env, start_uvicorn, stop, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

WORKERS, POOL_MAX = 2, 3
APP_NAME = f"speakup-faults-{uuid.uuid4().hex[:8]}"
# Throttle counters live in the shared Redis for an hour: addresses fresh for each run.
RUN = random.randint(1, 250)
CONCERN = {
    "organisation": "RX1",
    "categories": ["patient-safety"],
    "description": "Students are left to run the ward at night.",
    "route": "anonymous",
}


@pytest.fixture(scope="module")
def served(django_db_setup, django_db_blocker):
    db = settings.DATABASES["default"]
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    proxy.restore()
    env = service_env(
        DATABASE_URL=(
            f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}"
            f"?application_name={APP_NAME}"
        ),
        DB_POOL_MAX_SIZE=str(POOL_MAX),
        DB_POOL_MIN_SIZE="1",
        DB_CONNECT_TIMEOUT="2",
        # the clients below tell their address in X-Forwarded-For
        TRUSTED_PROXY_ADDRESSES="127.0.0.1/32",
        CELERY_QUEUE=f"h14-faults-{APP_NAME}",
        SPEAKUP_ANONYMOUS_NOTIFY_DELAY="0",
    )
    process, port = start_uvicorn(env, workers=WORKERS)
    try:
        yield proxy, f"http://127.0.0.1:{port}"
    finally:
        stop(process)
        proxy.cut()


def app_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APP_NAME]
        )
        return cursor.fetchone()[0]


def test_twenty_concurrent_clients_never_hold_more_connections_than_the_pools(served, org):
    _, base = served
    statuses: Counter[int] = Counter()
    lock, samples, stop_sampling = threading.Lock(), [], threading.Event()

    def sample() -> None:
        try:
            while not stop_sampling.is_set():
                samples.append(app_connections())
                time.sleep(0.02)
        finally:
            connection.close()  # this thread's own connection, back to the pool

    def client(n: int) -> None:
        headers = {"X-Forwarded-For": f"10.{RUN}.{n}.3"}
        with httpx.Client(base_url=base, timeout=30, headers=headers) as http:
            for i in range(6):
                if i % 3 == 2:
                    response = http.post("/api/v1/concerns/", json=CONCERN)
                else:
                    response = http.get("/api/v1/categories/")
                with lock:
                    statuses[response.status_code] += 1

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    clients = [threading.Thread(target=client, args=(n,)) for n in range(20)]
    for t in clients:
        t.start()
    for t in clients:
        t.join(120)
    stop_sampling.set()
    sampler.join(5)

    assert statuses == Counter({200: 80, 201: 40}), statuses
    assert Concern.objects.count() == 40
    assert samples and max(samples) >= 1
    assert max(samples) <= WORKERS * POOL_MAX, f"peak {max(samples)} connections"


def test_database_cut_answers_503_with_retry_after_then_recovers_without_restart(served, org):
    proxy, base = served
    statuses: Counter[int] = Counter()
    with httpx.Client(base_url=base, timeout=30) as http:

        def call(method: str, path: str, **kw) -> httpx.Response:
            response = http.request(
                method,
                path,
                headers={"X-Forwarded-For": f"10.{RUN}.{sum(statuses.values())}.4"},
                **kw,
            )
            statuses[response.status_code] += 1
            return response

        assert call("GET", "/api/v1/categories/").status_code == 200

        # given PostgreSQL unreachable
        proxy.cut()
        started = time.monotonic()
        api = [call("POST", "/api/v1/concerns/", json=CONCERN) for _ in range(3)]
        reads = [call("GET", "/api/v1/categories/") for _ in range(3)]
        # (a page that reads the database: the raise journey's first question needs none)
        pages = [call("GET", "/standards/") for _ in range(2)]
        during = time.monotonic() - started

        # then 503s, each saying when to come back; the first after the pool's timeout
        # (10 s) in each web process, the others at once
        for response in api + reads:
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "5"
            assert response.headers["content-type"].startswith("application/json")
            assert "try again" in response.json()["detail"]
        for response in pages:
            assert response.status_code == 503 and response.headers["Retry-After"] == "5"
            assert "Please try again in a few seconds" in response.text
        assert during < WORKERS * 10 + 5, f"{during:.1f}s for 8 requests"

        # when it comes back, the same processes answer again (no restart)
        proxy.restore()
        assert wait_for(lambda: call("GET", "/api/v1/categories/").status_code == 200, 30)
        after = [call("POST", "/api/v1/concerns/", json=CONCERN) for _ in range(2)]

    assert [r.status_code for r in after] == [201, 201]
    assert statuses[500] == 0
    assert statuses[503] >= 8
    assert Concern.objects.count() == 2  # nothing half-saved during the cut
