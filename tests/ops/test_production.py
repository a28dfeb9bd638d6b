"""./scripts/production, run for real: PostgreSQL, a Redis of the test's own, a local SMTP
server; the whole topology (gunicorn, uvicorn for sockets, a Celery worker and beat) under
honcho.

One test, in order: ready (200); a concern raised through it reaches the guardian by email
from the real worker; requests from a distinctive address (a real 127.0.0.2 source and an
X-Forwarded-For), User-Agent and cookie leave none of them, and no reference or
reporter-side path, in the output, which is JSON line by line; /metrics answers the token;
Redis cut: 503; Redis back: 200; SIGTERM: every process it started is gone.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import uuid
import warnings
from pathlib import Path
from urllib.parse import urlparse

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PY = str(ROOT / ".venv" / "bin" / "python")
HOST = "speakup.test.example"
ADDRESS = "203.0.113.177"
AGENT = "Mozilla/5.0 (ProductionTestAgent-h19-Z7)"
COOKIE_VALUE = "cookie-h19-Q4W8"
METRICS_TOKEN = "metrics-" + secrets.token_hex(8)

pytestmark = [pytest.mark.services]

_db = settings.DATABASES["default"]
if not _db["ENGINE"].endswith("postgresql") or not shutil.which("redis-server"):
    reason = (
        "!!! PRODUCTION TOPOLOGY TEST SKIPPED: it needs PostgreSQL (DATABASE_URL) and "
        "redis-server. scripts/production was NOT run. !!!"
    )
    if os.environ.get("SPEAKUP_REQUIRE_SERVICES") == "1":
        raise RuntimeError(reason)
    warnings.warn(reason, stacklevel=1)
    pytestmark.append(pytest.mark.skip(reason=reason))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, predicate, timeout: float, every: float = 0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            last = predicate()
            if last:
                return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


class Web:
    """Requests to the web server as they would come through the TLS proxy, from a source
    address of 127.0.0.2 (a real loopback alias: it is the peer address the server sees)."""

    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, method: str, path: str, body: dict | None = None, **headers: str):
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=15, source_address=("127.0.0.2", 0)
        )
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(
            method,
            path,
            body=payload,
            headers={
                "Host": HOST,
                "X-Forwarded-Proto": "https",
                "X-Forwarded-For": ADDRESS,
                "User-Agent": AGENT,
                "Cookie": f"tracker={COOKIE_VALUE}",
                **({"Content-Type": "application/json"} if payload else {}),
                **headers,
            },
        )
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, data

    def ready(self) -> tuple[int, dict]:
        status, data = self.request("GET", "/health/ready/")
        return status, json.loads(data)


class Smtp:
    def __init__(self, port: int) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[tuple[list[str], str]] = []
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                outer.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def start_redis(port: int, workdir: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""),
            *("--appendonly", "no", "--dir", str(workdir)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for("redis", lambda: socket.create_connection(("127.0.0.1", port), 1).close() or True, 10)
    return process


def processes_marked(marker: str) -> list[str]:
    """Every live process whose environment holds the marker (whatever session it is in)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                found.append(f"{proc.name}: {(proc / 'cmdline').read_bytes()[:120]!r}")
        except OSError:
            continue
    return found


@pytest.fixture
def world(tmp_path):
    base = urlparse(os.environ.get("DATABASE_URL", ""))
    name = f"{_db['NAME'].removeprefix('test_')}_production"
    database_url = base._replace(path=f"/{name}").geturl()
    admin = base._replace(path="/postgres").geturl()
    subprocess.run(
        ["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True
    )
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    redis_port, smtp_port, web_port, ws_port = (free_port() for _ in range(4))
    marker = f"h19-production-{uuid.uuid4().hex}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO"))},
        "SPEAKUP_TEST_MARKER": marker,
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SPEAKUP_PEPPER": secrets.token_urlsafe(32),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "SITE_URL": f"https://{HOST}",
        "ALLOWED_HOSTS": f"{HOST},127.0.0.1,127.0.0.2",
        "WEB_BIND": f"127.0.0.1:{web_port}",
        "WS_PORT": str(ws_port),
        "WEB_CONCURRENCY": "2",
        "CELERY_CONCURRENCY": "1",
        "FORWARDED_ALLOW_IPS": "127.0.0.1,127.0.0.2",
        "HEALTH_HEARTBEAT_SECONDS": "2",
        "HEALTH_WORKER_PING_SECONDS": "3",
        "SPEAKUP_ANONYMOUS_NOTIFY_DELAY": "0",
        "METRICS_TOKEN": METRICS_TOKEN,
        "HSTS_PRELOAD": "1",
        "LOG_LEVEL": "INFO",
        "SPEAKUP_DATA_DIR": str(tmp_path / "data"),
        "SPEAKUP_PASSWORD": "guardian-password-h19-long",
    }
    for k in ("SECURE_COOKIES", "DEBUG", "SPEAKUP_REQUIRE_SERVICES", "CELERY_QUEUE"):
        env.pop(k, None)
    redis = start_redis(redis_port, tmp_path)
    smtp = Smtp(smtp_port)
    manage = [PY, "manage.py"]
    for args in (
        ["migrate", "-v0"],
        ["addorganisation", "RPROD", "Production Test Trust"],
        [
            "adduser",
            "gwen",
            "--role",
            "guardian",
            "--organisation",
            "RPROD",
            "--email",
            "gwen@trust.example",
        ],
    ):
        subprocess.run(manage + args, env=env, cwd=ROOT, check=True, capture_output=True)
    state = {"redis": redis, "redis_port": redis_port, "tmp": tmp_path}
    try:
        yield env, Web(web_port), smtp, state, marker, ws_port
    finally:
        smtp.stop()
        state["redis"].terminate()
        state["redis"].wait(10)
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])


def test_the_production_topology(world):
    env, web, smtp, state, marker, ws_port = world
    log = state["tmp"] / "production.log"
    with log.open("wb") as out:
        production = subprocess.Popen(
            [str(ROOT / "scripts" / "production")],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # ready: database, migrations, Redis, a worker's pong, beat's heartbeat, the outbox
        status, body = wait_for(
            "/health/ready/ 200", lambda: (r := web.ready())[0] == 200 and r, timeout=240
        )
        assert set(body["checks"]) == {
            "database",
            "migrations",
            "redis",
            "celery_worker",
            "celery_beat",
            "outbox",
        }

        # a concern raised through it reaches the guardian by email from the real worker
        status, data = web.request(
            "POST",
            "/api/v1/concerns/",
            {
                "organisation": "RPROD",
                "categories": ["patient-safety"],
                "description": "Nobody answers the bleep at night on the ward.",
                "route": "anonymous",
                "reporter_role": "learner",
            },
        )
        assert status == 201, data
        raised = json.loads(data)
        reference, receipt = raised["reference"], raised["receipt_code"]
        mail = wait_for(
            "the guardian's email",
            lambda: [m for m in smtp.messages if "gwen@trust.example" in m[0]],
            timeout=60,
        )
        assert f"https://{HOST}/" in mail[0][1]

        # reporter-side pages and URLs, a socket, a page that does not exist
        for method, path in [
            ("GET", "/"),
            ("GET", "/raise/"),
            ("GET", f"/raise/sent/{reference}/"),
            ("GET", "/receipt/"),
            ("GET", f"/api/v1/concerns/{reference}/"),
            ("GET", f"/no-such-page/{reference}/"),
        ]:
            assert web.request(method, path)[0] < 500, path
        _open_socket(ws_port, f"/ws/concerns/{reference}/")

        # metrics, for the token only
        assert web.request("GET", "/metrics")[0] == 403
        status, metrics = web.request("GET", "/metrics", Authorization=f"Bearer {METRICS_TOKEN}")
        assert status == 200
        assert b"speakup_http_requests_total" in metrics
        assert (
            b'speakup_celery_tasks_total{outcome="success",task="notifications.deliver"}' in metrics
        )
        assert reference.encode() not in metrics

        # Redis cut: not ready, named; back: ready again
        state["redis"].terminate()
        state["redis"].wait(10)
        status, body = wait_for(
            "503 with Redis down", lambda: (r := web.ready())[0] == 503 and r, timeout=30
        )
        assert body["checks"]["redis"]["ok"] is False
        state["redis"] = start_redis(state["redis_port"], state["tmp"])
        wait_for("200 with Redis back", lambda: web.ready()[0] == 200, timeout=120)
    finally:
        # SIGTERM: honcho stops every process group it started
        os.kill(production.pid, signal.SIGTERM)
        code = production.wait(timeout=60)
    with contextlib.suppress(AssertionError):
        wait_for("no process left", lambda: not processes_marked(marker), 15)
    assert processes_marked(marker) == []
    assert code in (0, -signal.SIGTERM, 128 + signal.SIGTERM), code

    output = log.read_text(errors="replace")
    for secret in [
        ADDRESS,
        "127.0.0.2",
        AGENT,
        "ProductionTestAgent",
        COOKIE_VALUE,
        reference,
        receipt,
        "/raise/sent",
        "/api/v1/concerns",
        "/ws/concerns",
    ]:
        assert secret not in output, f"{secret!r} in the production output"
    # the application's lines are JSON, and its requests are logged by route name
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    routes = {r.get("route") for r in records if r.get("message") == "request"}
    assert {"api:concerns", "raise_sent", "health-ready"} <= routes, routes
    loggers = {r["logger"] for r in records}
    assert {"speakup.request", "celery.app.trace"} & loggers
    other = [
        line
        for line in output.splitlines()
        if line.strip() and not line.startswith("{") and not _honcho_or_script_line(line)
    ]
    assert not other, "lines that are not JSON:\n" + "\n".join(other[:20])


def _honcho_or_script_line(line: str) -> bool:
    """honcho's own start/stop notices, Celery's shutdown notice (printed, not logged) and
    the script's progress lines: none carries request data."""
    return bool(
        re.match(
            r"^(production: |== |\S+\.\d+ (started|stopped|exited)|sending SIG|SIG\w+ received"
            r"|worker: (Warm|Cold) shutdown|System check identified)",
            line,
        )
    )


def _open_socket(port: int, path: str) -> None:
    """A websocket handshake from 127.0.0.2 (accepted or refused: only the logs matter)."""
    from websockets.sync.client import connect

    sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.0.2", 0))
    with (
        contextlib.suppress(Exception),
        connect(
            f"ws://{HOST}{path}",
            sock=sock,
            origin=f"https://{HOST}",
            additional_headers={"User-Agent": AGENT, "Cookie": f"tracker={COOKIE_VALUE}"},
            open_timeout=5,
        ) as ws,
    ):
        ws.close()
