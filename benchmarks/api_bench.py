"""API benchmark: gunicorn (4 sync workers, WSGI) on PostgreSQL, driven by wrk at 16
concurrent connections.

    .venv/bin/python benchmarks/api_bench.py [--seconds 15] [--concerns 2000]

Measures requests/s and p50/p95 latency for
  hello   GET  /api/v1/health/                      (the ceiling: DRF answering, no DB)
  raise   POST /api/v1/concerns/  route=anonymous   (encrypted, audited, receipt scrypt hash)
  raise-signed-in  POST /api/v1/concerns/ route=confidential (the same without the scrypt)
  queue   GET  /api/v1/cases/?page_size=50          (a lead guardian's queue, 50 rows)

It creates (drops first) its own PostgreSQL database, speakup_bench, migrates it and seeds
it with concerns through the real services, and uses Redis db 4 for the cache.
Needs wrk (apt-get install wrk), PostgreSQL and Redis on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
UVICORN = str(ROOT / ".venv" / "bin" / "uvicorn")
DB_NAME = os.environ.get("BENCH_DB", "speakup_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/4")
PORT = int(os.environ.get("BENCH_PORT", "18765"))
BASE = f"http://127.0.0.1:{PORT}"

SEED = """
import random
from dataclasses import replace
from django.conf import settings
from django.contrib.auth.models import Group
from accounts.services import token_issue
from concerns.models import Category
from concerns.roles import Role
from concerns.services import organisation_create, user_create
from workflow.services import handling, raising

# Seeding is not what is measured: a cheap receipt hash here keeps it quick.
settings.SPEAKUP_RECEIPTS = replace(settings.SPEAKUP_RECEIPTS, scrypt_n=2**10)
org = organisation_create(code="RBENCH", name="Benchmark Placement Trust")
other = organisation_create(code="ROTHER", name="Other Trust")
lead = user_create(username="bench-lead", password="bench-pass-123", role=Role.LEAD_GUARDIAN,
                   organisations=[org])
guardian = user_create(username="bench-guardian", password="bench-pass-123",
                       role=Role.GUARDIAN, organisations=[org])
reporter = user_create(username="bench-reporter", password="bench-pass-123",
                       role=Role.REPORTER)
categories = list(Category.objects.all())
rng = random.Random(7)
from django.db import transaction
with transaction.atomic():
  for i in range({n}):
      route = rng.choice(["anonymous", "anonymous", "confidential", "open"])
      concern = raising.NewConcern(
          organisation=org if i % 5 else other,
          categories=rng.sample(categories, 2),
          description="Seeded concern %d: the rota leaves learners unsupervised." % i,
          route=route,
          reporter_name="Bench Reporter",
          reporter_contact="bench@example.nhs.uk",
      )
      raised = raising.concern_raise(
          concern=concern, reporter=None if route == "anonymous" else reporter
      )
      if i % 2 and raised.case.organisation_id == org.pk:
          handling.case_assign(case=raised.case, guardian=guardian, actor=lead)
print(json.dumps({{
    "lead": token_issue(user=lead)[1],
    "reporter": token_issue(user=reporter)[1],
}}))
"""

WRK_LUA = """
wrk.method = "{method}"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
{auth}
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.3f %.3f %d %d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    summary.errors.status, summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
"""


def run(cmd: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, text=True, **kwargs)


def prepare_database(env: dict[str, str], concerns: int) -> dict[str, str]:
    admin = f"{PG}/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {DB_NAME}"], check=True)
    run([PY, "manage.py", "migrate", "-v0"], env)
    t0 = time.perf_counter()
    seeded = run(
        [PY, "manage.py", "shell", "-c", "import json\n" + SEED.format(n=concerns)],
        env,
        capture_output=True,
    )
    print(f"seeded {concerns} concerns in {time.perf_counter() - t0:.0f}s")
    # Planner statistics, as autovacuum would have gathered soon after a load this size:
    # without them PostgreSQL guesses a dozen cases per organisation and sorts them all.
    subprocess.run(["psql", f"{PG}/{DB_NAME}", "-qc", "ANALYZE"], check=True)
    return json.loads(seeded.stdout.strip().splitlines()[-1])


def existing_tokens(env: dict[str, str]) -> dict[str, str]:
    """New tokens for the last run's seeded users (--reuse-db): tokens are stored hashed,
    so the old ones cannot be read back."""
    code = (
        "import json\nfrom django.contrib.auth import get_user_model\n"
        "from accounts.services import token_issue\nU = get_user_model()\n"
        "print(json.dumps({'lead': token_issue(user=U.objects.get(username='bench-lead'))[1], "
        "'reporter': token_issue(user=U.objects.get(username='bench-reporter'))[1]}))"
    )
    issued = run([PY, "manage.py", "shell", "-c", code], env, capture_output=True)
    return json.loads(issued.stdout.strip().splitlines()[-1])


# The web servers compared (--server); each with 4 processes, access logs off.
SERVERS = {
    # WSGI: one request at a time per process (the production choice for HTTP).
    "gunicorn": lambda extra: [
        *(GUNICORN, "config.wsgi:application", "-b", f"127.0.0.1:{PORT}"),
        *("--log-level", "warning", "--timeout", "60"),
        *(extra or ["-w", "4"]),
    ],
    # WSGI with 4 threads per process.
    "gthread": lambda extra: [
        *(GUNICORN, "config.wsgi:application", "-b", f"127.0.0.1:{PORT}"),
        *("--log-level", "warning", "--timeout", "60", "-k", "gthread"),
        *(extra or ["-w", "4", "--threads", "4"]),
    ],
    # ASGI: Django runs each sync view in the process's one sync thread.
    "uvicorn": lambda extra: [
        *(UVICORN, "config.asgi:application", "--host", "127.0.0.1", "--port", str(PORT)),
        *("--log-level", "warning", "--no-access-log", "--loop", "uvloop"),
        *("--http", "httptools", "--ws", "websockets"),
        *(extra or ["--workers", "4"]),
    ],
    # gunicorn supervising uvicorn's worker class (ASGI, as above).
    "gunicorn-uvicorn": lambda extra: [
        *(GUNICORN, "config.asgi:application", "-b", f"127.0.0.1:{PORT}"),
        *("--log-level", "warning", "--timeout", "60", "-k", "uvicorn.workers.UvicornWorker"),
        *(extra or ["-w", "4"]),
    ],
}


def start_server(env: dict[str, str], extra: list[str], kind: str = "gunicorn") -> subprocess.Popen:
    server = subprocess.Popen(
        SERVERS[kind](extra),
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{BASE}/api/v1/health/", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"{kind} did not come up")


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) of the live processes in one process group: the server and
    its workers. Per request it is a fairer figure than requests/s on a shared machine."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields[2] is pgrp (field 5 of proc(5))
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def wrk(name: str, path: str, seconds: int, *, method="GET", body=None, token=None, pgid=0) -> dict:
    lua = WRK_LUA.format(
        method=method,
        body=json.dumps(json.dumps(body)) if body is not None else "nil",
        auth=f'wrk.headers["Authorization"] = "Token {token}"' if token else "",
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        # A short warm-up so that every worker has its connections and caches.
        subprocess.run(
            ["wrk", "-t2", "-c16", "-d2s", "-s", script.name, BASE + path],
            check=True,
            capture_output=True,
        )
        cpu_before = group_cpu_seconds(pgid)
        out = subprocess.run(
            [
                *("wrk", "-t2", "-c16", f"-d{seconds}s", "--timeout", "10s"),
                "-s",
                script.name,
                BASE + path,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        cpu = group_cpu_seconds(pgid) - cpu_before
    finally:
        os.unlink(script.name)
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+) (\d+)", out)
    if not match:
        raise SystemExit(f"could not read wrk output for {name}:\n{out}")
    requests, micros, p50, p95, bad_status, socket_errors = match.groups()
    if int(requests) == 0 or int(bad_status):
        print(f"!! {name}: {bad_status} non-2xx of {requests} responses\n{out}", file=sys.stderr)
    return {
        "name": name,
        "rps": int(requests) / (int(micros) / 1e6),
        "p50": float(p50) / 1000,
        "p95": float(p95) / 1000,
        "requests": int(requests),
        "non_2xx": int(bad_status),
        "socket_errors": int(socket_errors),
        "cpu_ms": 1000 * cpu / int(requests) if int(requests) else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--concerns", type=int, default=1000)
    parser.add_argument(
        "--scrypt-n",
        type=int,
        default=None,
        help="receipt scrypt cost for the server (default: production, 2**14)",
    )
    parser.add_argument(
        "--only", default="", help="comma-separated scenarios: hello,anonymous,signed-in,queue"
    )
    parser.add_argument(
        "--reuse-db", action="store_true", help="keep the seeded database of the last run"
    )
    parser.add_argument(
        "--gunicorn", default="", help="server options instead of the default 4 processes"
    )
    parser.add_argument(
        "--server",
        choices=sorted(SERVERS),
        default="gunicorn",
        help="web server: gunicorn (sync), gthread, uvicorn, gunicorn-uvicorn",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")

    data_dir = tempfile.mkdtemp(prefix="speakup-bench-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
        "SECRET_KEY": "benchmark-only-secret-key",
        "DEBUG": "0",
        "SECURE_COOKIES": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": REDIS,
        "SPEAKUP_DATA_DIR": data_dir,
        "LOG_LEVEL": "ERROR",
    }
    if args.scrypt_n:
        env["RECEIPT_SCRYPT_N"] = str(args.scrypt_n)
    tokens = existing_tokens(env) if args.reuse_db else prepare_database(env, args.concerns)
    subprocess.run(["redis-cli", "-u", REDIS, "FLUSHDB"], check=True, capture_output=True)
    server = start_server(env, args.gunicorn.split(), args.server)
    concern = {
        "organisation": "RBENCH",
        "categories": ["patient-safety", "education-quality"],
        "description": "At night the ward is left to students; nobody answers the bleep.",
        "route": "anonymous",
        "reporter_role": "learner",
    }
    scenarios = {
        "hello": ("hello", "/api/v1/health/", {}),
        "anonymous": (
            "raise (anonymous)",
            "/api/v1/concerns/",
            {"method": "POST", "body": concern},
        ),
        "signed-in": (
            "raise (signed in)",
            "/api/v1/concerns/",
            {
                "method": "POST",
                "body": {
                    **concern,
                    "route": "confidential",
                    "reporter_name": "Bench Reporter",
                    "reporter_contact": "bench@example.nhs.uk",
                },
                "token": tokens["reporter"],
            },
        ),
        "queue": ("queue (50 rows)", "/api/v1/cases/?page_size=50", {"token": tokens["lead"]}),
    }
    # hello always runs: it is the ceiling the others are compared with.
    chosen = ["hello", *(s for s in args.only.split(",") if s and s != "hello")]
    try:
        results = [
            wrk(name, path, args.seconds, pgid=server.pid, **options)
            for key, (name, path, options) in scenarios.items()
            if not args.only or key in chosen
        ]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)

    hello = results[0]["rps"]
    cores = os.cpu_count()
    print(
        f"\n{args.server} {args.gunicorn or '(4 processes)'}, wrk 16 connections, "
        f"{args.seconds}s each, {cores} cores, "
        f"receipt scrypt n={env.get('RECEIPT_SCRYPT_N', 2**14)}"
    )
    print(
        f"{'scenario':<20}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'% hello':>9}{'non-2xx':>9}"
        f"{'CPU ms/req':>12}"
    )
    for r in results:
        print(
            f"{r['name']:<20}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p95']:>9.1f}"
            f"{100 * r['rps'] / hello:>8.1f}%{r['non_2xx'] + r['socket_errors']:>9}"
            f"{r['cpu_ms']:>12.2f}"
        )
    print("\ntargets: raise >= 200 req/s with p95 < 100 ms; queue >= 400 req/s with p95 < 50 ms")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
