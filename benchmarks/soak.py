"""Soak: a few minutes of mixed load on the production topology, with a Redis cut, a worker
kill and an SMTP stall in the middle; then the counts that say whether anything was lost,
stuck or doubled.

    .venv/bin/python benchmarks/soak.py [--seconds 150] [--clients 8]

Topology (all started here, on ports 18200-18299): uvicorn with 2 workers on PostgreSQL
(its own database, h14_soak, dropped first) and Redis (db 3) reached through a TCP proxy
that the run cuts; a Celery worker (prefork, 2 processes) and beat on the same proxied
Redis; an aiosmtpd mail server behind a second proxy that the run stalls (accepts, never
answers). Clients: anonymous raises (API), the category list, the raise page, a guardian's
queue. Faults, as fractions of the run: Redis cut from 0.25 to 0.40; a worker process
SIGKILLed at 0.50; SMTP stalled from 0.65 to 0.80. After the load, it waits (up to 3 min)
for every expected email.

Prints requests, 2xx, 4xx, 5xx, p50/p95 latency, concerns stored (and whether each 201 was
stored), emails expected / delivered (distinct Message-IDs) / duplicated, and how long after
the last fault ended the last email arrived.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.faults.tools import (  # noqa: E402
    SmtpServer,
    TcpProxy,
    service_env,
    start_uvicorn,
    stop,
    wait_for,
)

PG = os.environ.get("SOAK_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("SOAK_DB", "h14_soak")
REDIS = os.environ.get("SOAK_REDIS", "redis://127.0.0.1:6379/3")
PY = sys.executable

SETUP = """
import json
from accounts.services import token_issue
from concerns.models import Organisation
from concerns.roles import Role
from tests.factories import make_user
org = Organisation.objects.create(code="RX1", name="North Placement Trust")
gina = make_user(Role.GUARDIAN, org, username="gina", email="gina@example.test")
make_user(Role.LEAD_GUARDIAN, org, username="lena", email="lena@example.test")
print(json.dumps({"token": token_issue(user=gina)[1]}))
"""

COUNT = """
from concerns.models import Concern
from notifications.models import Delivery
import json
print(json.dumps({
    "concerns": list(Concern.objects.values_list("reference", flat=True)),
    "email_rows": Delivery.objects.filter(channel="email").count(),
    "unsent": Delivery.objects.filter(sent_at__isnull=True).count(),
    "leased": Delivery.objects.filter(sent_at__isnull=True, leased_until__isnull=False).count(),
}))
"""


def manage(env: dict, *args: str, capture: bool = False) -> str:
    done = subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=capture,
        text=True,
        timeout=600,
    )
    return done.stdout if capture else ""


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", f"{PG}/postgres", "-q", "-c", sql], check=True, capture_output=True, timeout=60
    )


def celery(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [PY, "-m", "celery", "-A", "config", *args, "-l", "WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=150)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    duration = args.seconds

    redis = urlparse(REDIS)
    data_dir = tempfile.mkdtemp(prefix="h14-soak-")
    psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB_NAME}")
    subprocess.run(
        ["redis-cli", "-h", redis.hostname, "-p", str(redis.port or 6379), "-n",
         redis.path.strip("/") or "0", "FLUSHDB"],
        check=True, capture_output=True,
    )  # fmt: skip

    with (
        TcpProxy(redis.hostname, redis.port or 6379) as redis_proxy,
        SmtpServer() as smtp,
        TcpProxy("127.0.0.1", smtp.port) as smtp_proxy,
    ):
        env = service_env(
            SPEAKUP_DATA_DIR=data_dir,
            DATABASE_URL=f"{PG}/{DB_NAME}",
            REDIS_URL=f"redis://127.0.0.1:{redis_proxy.port}{redis.path or '/0'}",
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_proxy.port}",
            EMAIL_TIMEOUT="5",
            TRUSTED_PROXY_ADDRESSES="127.0.0.1/32",
            # announcements at once, so that delivery after each fault is what is measured
            SPEAKUP_ANONYMOUS_NOTIFY_DELAY="0",
            CELERY_QUEUE="h14-soak",
            CHANNELS_PREFIX="h14soak",
        )
        print("migrating and seeding ...", flush=True)
        manage(env, "migrate", "-v0")
        token = json.loads(manage(env, "shell", "-c", SETUP, capture=True).splitlines()[-1])
        web, port = start_uvicorn(env, workers=2)
        worker = celery(env, "worker", "--pool=prefork", "--concurrency=2")
        beat = celery(env, "beat", "-s", os.path.join(data_dir, "beat-schedule"))
        base = f"http://127.0.0.1:{port}"
        results: list[tuple[str, int, float]] = []
        raised: list[str] = []
        raised_at: list[float] = []
        delivered_at: list[tuple[float, int]] = []
        marks: dict[str, float] = {}
        lock = threading.Lock()
        t0 = time.monotonic()
        end = t0 + duration
        faults: list[str] = []

        def client(n: int) -> None:
            rng = random.Random(n)
            staff = {"Authorization": f"Token {token['token']}"}
            with httpx.Client(base_url=base, timeout=30) as http:
                i = 0
                while time.monotonic() < end:
                    i += 1
                    kind = rng.choices(["raise", "categories", "page", "queue"], [3, 3, 2, 2])[0]
                    started = time.monotonic()
                    try:
                        if kind == "raise":
                            r = http.post(
                                "/api/v1/concerns/",
                                json={
                                    "organisation": "RX1",
                                    "categories": ["patient-safety"],
                                    "description": "Students are left to run the ward at night.",
                                    "route": "anonymous",
                                },
                                headers={"X-Forwarded-For": f"10.{n}.{i // 250}.{i % 250}"},
                            )
                        elif kind == "categories":
                            r = http.get("/api/v1/categories/")
                        elif kind == "page":
                            r = http.get("/raise/")
                        else:
                            r = http.get("/api/v1/cases/?page_size=20", headers=staff)
                        status = r.status_code
                    except httpx.HTTPError:
                        status = 0
                    elapsed = time.monotonic() - started
                    with lock:
                        results.append((kind, status, elapsed))
                        if kind == "raise" and status == 201:
                            raised.append(r.json()["reference"])
                            raised_at.append(time.monotonic())
                    time.sleep(0.05)

        def timeline() -> None:
            def at(fraction: float) -> None:
                time.sleep(max(0.0, t0 + fraction * duration - time.monotonic()))

            at(0.25)
            redis_proxy.cut()
            faults.append(f"{time.monotonic() - t0:5.1f}s Redis cut")
            at(0.40)
            redis_proxy.restore()
            marks["redis back"] = time.monotonic()
            faults.append(f"{time.monotonic() - t0:5.1f}s Redis back")
            at(0.50)
            killed = children(worker.pid)[:1]
            for pid in killed:
                os.kill(pid, signal.SIGKILL)
            faults.append(f"{time.monotonic() - t0:5.1f}s worker process {killed} SIGKILLed")
            at(0.65)
            smtp_proxy.stall.set()
            faults.append(f"{time.monotonic() - t0:5.1f}s SMTP stalled")
            at(0.80)
            smtp_proxy.stall.clear()
            marks["smtp back"] = time.monotonic()
            faults.append(f"{time.monotonic() - t0:5.1f}s SMTP answering again")

        def count_mail() -> None:
            while time.monotonic() < end + 200 and not marks.get("done"):
                delivered_at.append((time.monotonic(), smtp.handler.delivered))
                time.sleep(0.5)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        threads.append(threading.Thread(target=timeline))
        sampler = threading.Thread(target=count_mail, daemon=True)
        sampler.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        last_fault_end = t0 + 0.80 * duration
        print(f"load done after {time.monotonic() - t0:.0f}s; waiting for the mail", flush=True)

        expected = 2 * len(raised)  # each new case: the guardian and the lead guardian
        wait_for(lambda: smtp.handler.delivered >= expected, timeout=180, every=1)
        last_mail_after = time.monotonic() - last_fault_end
        time.sleep(20)  # anything still to come would be a duplicate
        marks["done"] = time.monotonic()
        counts = json.loads(manage(env, "shell", "-c", COUNT, capture=True).splitlines()[-1])
        stop(beat)
        stop(worker)
        stop(web)

    statuses = Counter(s for _, s, _ in results)
    latencies = sorted(e for _, _, e in results)
    stored = set(counts["concerns"])
    print()
    for line in faults:
        print("fault:", line)
    print(f"requests {len(results)}  by kind {dict(Counter(k for k, _, _ in results))}")
    print(
        f"2xx {sum(n for s, n in statuses.items() if 200 <= s < 300)}  "
        f"3xx {sum(n for s, n in statuses.items() if 300 <= s < 400)}  "
        f"4xx {sum(n for s, n in statuses.items() if 400 <= s < 500)}  "
        f"5xx {sum(n for s, n in statuses.items() if s >= 500)}  "
        f"no answer {statuses.get(0, 0)}  statuses {dict(statuses)}"
    )
    print(
        f"latency p50 {statistics.median(latencies) * 1000:.0f} ms  "
        f"p95 {latencies[int(0.95 * (len(latencies) - 1))] * 1000:.0f} ms  "
        f"max {latencies[-1] * 1000:.0f} ms"
    )
    print(
        f"concerns: 201 answers {len(raised)}, stored {len(stored)}, "
        f"answered but not stored {len(set(raised) - stored)}"
    )
    print(
        f"emails: expected {expected}  delivered {smtp.handler.delivered}  "
        f"duplicated {smtp.handler.duplicated}  (received {len(smtp.handler.message_ids)}; "
        f"email rows {counts['email_rows']}, unsent rows {counts['unsent']})"
    )
    print(
        f"unsent rows still leased by a killed sender: {counts['leased']} (resent under the "
        "same Message-ID once the lease lapses, if the server had already taken them)"
    )
    print(f"all emails in {last_mail_after:.0f}s after the last fault ended")
    for name, when in sorted(marks.items(), key=lambda kv: kv[1]):
        if name == "done":
            continue
        # every email of a concern raised before the fault ended, delivered by when?
        owed = 2 * sum(1 for t in raised_at if t <= when)
        caught_up = next((t for t, n in delivered_at if t >= when and n >= owed), None)
        took = "never" if caught_up is None else f"{caught_up - when:.0f}s"
        print(f"{name}: the {owed} emails owed by then all delivered {took} later")


if __name__ == "__main__":
    main()
