"""The embedded default under overlapping writes: uvicorn serving a SQLite file, 8 writers at
once (threads, each its own HTTP client) adding notes to 8 different cases and raising
concerns. Before WAL + IMMEDIATE transactions, 6 of 8 such notes answered 500 "database is
locked". Runs in the SQLite pass (it makes its own database file either way)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest
from django.db import connection

from tests.faults.tools import ROOT, service_env, start_uvicorn, stop

pytestmark = [
    pytest.mark.sqlite,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="the SQLite writers test runs in the SQLite pass"
    ),
]

WRITERS, NOTES_EACH, RAISES_EACH = 8, 4, 2

SETUP = """
import json
from accounts.services import token_issue
from concerns.roles import Role
from tests.factories import OrganisationFactory, make_user, raise_concern
from workflow.services import handling
org = OrganisationFactory(code="RX1", name="North Placement Trust")
lead = make_user(Role.LEAD_GUARDIAN, org, username="lena")
refs = []
for _ in range(WRITERS_N):
    raised = raise_concern(org)
    handling.case_assign(case=raised.case, guardian=lead, actor=lead)
    refs.append(raised.case.reference)
print(json.dumps({"token": token_issue(user=lead)[1], "refs": refs}))
""".replace("WRITERS_N", str(WRITERS))


@pytest.fixture(scope="module")
def served_sqlite():
    data_dir = tempfile.mkdtemp(prefix="h14-sqlite-")
    env = service_env(
        SPEAKUP_DATA_DIR=data_dir,
        DATABASE_URL=None,
        REDIS_URL=None,
        EMAIL_URL=None,
        TRUSTED_PROXY_ADDRESSES="127.0.0.1/32",
        SPEAKUP_ANONYMOUS_NOTIFY_DELAY="0",
    )
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    made = subprocess.run(
        [*manage, "shell", "-c", SETUP],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    given = json.loads(made.stdout.strip().splitlines()[-1])
    process, port = start_uvicorn(env, workers=2)
    try:
        yield f"http://127.0.0.1:{port}", given, Path(data_dir) / "speakup.sqlite3"
    finally:
        stop(process)


def test_eight_parallel_writers_on_sqlite_get_no_errors(served_sqlite):
    base, given, database = served_sqlite
    statuses: Counter[int] = Counter()
    lock, start = threading.Lock(), threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        reference = given["refs"][n]
        staff = {"Authorization": f"Token {given['token']}"}
        with httpx.Client(base_url=base, timeout=60) as http:
            start.wait()
            for i in range(NOTES_EACH):
                response = http.post(
                    f"/api/v1/cases/{reference}/notes/",
                    json={"body": f"Spoke to the ward manager ({i})."},
                    headers=staff,
                )
                with lock:
                    statuses[response.status_code] += 1
            for i in range(RAISES_EACH):
                response = http.post(
                    "/api/v1/concerns/",
                    json={
                        "organisation": "RX1",
                        "categories": ["patient-safety"],
                        "description": "Students are left to run the ward at night.",
                        "route": "anonymous",
                    },
                    headers={"X-Forwarded-For": f"10.5.{n}.{i}"},
                )
                with lock:
                    statuses[response.status_code] += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)

    assert statuses == Counter({201: WRITERS * (NOTES_EACH + RAISES_EACH)}), statuses
    import sqlite3

    with sqlite3.connect(database) as db:
        notes = db.execute("SELECT count(*) FROM workflow_internalnote").fetchone()[0]
        concerns = db.execute("SELECT count(*) FROM concerns_concern").fetchone()[0]
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    assert (notes, concerns, mode) == (
        WRITERS * NOTES_EACH,
        WRITERS + WRITERS * RAISES_EACH,
        "wal",
    )
