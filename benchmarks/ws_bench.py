"""Live-update latency: N guardian sockets on the Redis channel layer.

Runs the real ASGI app under uvicorn (or daphne), connects N signed-in guardians to
/ws/queue/ with a raw asyncio WebSocket client (no client library needed), then makes case
changes through the real workflow service and times, for every socket, the moment the
change committed to the moment that socket received the message.

    REDIS_URL=redis://127.0.0.1:6379/5 SECRET_KEY=x .venv/bin/python benchmarks/ws_bench.py

Options via the environment: BENCH_SOCKETS (500), BENCH_CHANGES (30), BENCH_PORT (a free
one), BENCH_SERVER (uvicorn or daphne), BENCH_SERVERS (processes; default one per core),
CHANNELS_REDIS_LAYER (pubsub or core), DATABASE_URL (default: a throwaway SQLite file).
Target: p95 < 250 ms.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SOCKETS = int(os.environ.get("BENCH_SOCKETS", "500"))
CHANGES = int(os.environ.get("BENCH_CHANGES", "30"))


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


PORT = int(os.environ.get("BENCH_PORT") or _free_port())
SERVERS = int(os.environ.get("BENCH_SERVERS", str(os.cpu_count() or 1)))
SERVER = os.environ.get("BENCH_SERVER", "uvicorn")  # or daphne
if not os.environ.get("REDIS_URL"):
    sys.exit("REDIS_URL is required: this benchmark measures the Redis channel layer.")
os.environ.setdefault("SPEAKUP_DATA_DIR", tempfile.mkdtemp(prefix="ws-bench-"))
os.environ.setdefault("CHANNELS_PREFIX", "wsbench")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def make_guardians(n: int):
    """An organisation, one case, a lead, and n guardians each with a signed-in session."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore

    from concerns.models import Category, Membership, Organisation
    from workflow.services import raising

    org, _ = Organisation.objects.get_or_create(code="BENCH", defaults={"name": "Bench Trust"})
    group, _ = Group.objects.get_or_create(name="guardian")
    lead_group, _ = Group.objects.get_or_create(name="lead_guardian")
    stamp = int(time.time())
    users = User.objects.bulk_create(
        User(username=f"bench-{stamp}-{i}", password="!unusable") for i in range(n + 1)
    )
    users = list(User.objects.filter(username__startswith=f"bench-{stamp}-").order_by("pk"))
    lead, guardians = users[0], users[1:]
    lead.groups.add(lead_group)
    group.user_set.add(*guardians)
    Membership.objects.bulk_create(Membership(user=u, organisation=org) for u in users)
    sessions = []
    for user in guardians:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    raised = raising.concern_raise(
        concern=raising.NewConcern(
            organisation=org,
            categories=[Category.objects.get(slug="other")],
            description="Benchmark concern",
            route="anonymous",
        )
    )
    return lead, raised.case, sessions


async def ws_connect(session_key: str):
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT, limit=2**20)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        "GET /ws/queue/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{PORT}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: http://127.0.0.1:{PORT}\r\n"
        f"Cookie: sessionid={session_key}\r\n\r\n"
    )
    writer.write(request.encode())
    await writer.drain()
    status = await reader.readuntil(b"\r\n\r\n")
    if b" 101 " not in status.split(b"\r\n", 1)[0]:
        raise RuntimeError(f"handshake refused: {status[:40]!r}")
    return reader, writer


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """Client-to-server frames must be masked (RFC 6455 5.3); payloads here are < 126 bytes."""
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + body


async def read_frames(reader, writer, on_text) -> None:
    """Server-to-client frames are unmasked. Answer pings (daphne closes a socket that does
    not), and hand text frames on."""
    while True:
        head = await reader.readexactly(2)
        opcode, length = head[0] & 0x0F, head[1] & 0x7F
        if length == 126:
            length = int.from_bytes(await reader.readexactly(2), "big")
        elif length == 127:
            length = int.from_bytes(await reader.readexactly(8), "big")
        payload = await reader.readexactly(length)
        if opcode == 0x1:
            on_text(time.perf_counter(), payload)
        elif opcode == 0x9:
            writer.write(masked_frame(0xA, payload))
        elif opcode == 0x8:
            return


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(lead, case, sessions, server_pids: list[int]) -> dict:
    from asgiref.sync import sync_to_async
    from django.db import transaction

    from workflow.services import handling

    arrivals: dict[int, list[float]] = {}

    def on_text(at: float, payload: bytes) -> None:
        message = json.loads(payload)
        if message.get("kind") == "note":
            arrivals.setdefault(message["event"], []).append(at)

    connections = []
    started = time.perf_counter()
    for i in range(0, len(sessions), 50):  # connect in waves, as users would arrive
        connections += await asyncio.gather(*(ws_connect(s) for s in sessions[i : i + 50]))
    connect_seconds = time.perf_counter() - started
    readers = [asyncio.create_task(read_frames(r, w, on_text)) for r, w in connections]
    await asyncio.sleep(1.0)

    def change() -> tuple[int, float]:
        committed: list[float] = []
        with transaction.atomic():
            # Registered first, so it runs before the event's own post-commit hook.
            transaction.on_commit(lambda: committed.append(time.perf_counter()))
            handling.case_note_add(case=case, actor=lead, body="benchmark")
        event_id = case.events.order_by("-seq").values_list("pk", flat=True).first()
        return event_id, committed[0]

    latencies, slowest, missing = [], [], 0
    server_cpu, client_cpu, wall = (
        sum(map(cpu_seconds, server_pids)),
        time.process_time(),
        time.perf_counter(),
    )
    for _ in range(CHANGES):
        event_id, t0 = await sync_to_async(change, thread_sensitive=True)()
        deadline = time.perf_counter() + 5
        while len(arrivals.get(event_id, [])) < len(sessions) and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        got = [(t - t0) * 1000 for t in arrivals.get(event_id, [])]
        missing += len(sessions) - len(got)
        latencies += got
        if got:
            slowest.append(max(got))
        await asyncio.sleep(0.25)

    server_cpu = sum(map(cpu_seconds, server_pids)) - server_cpu
    client_cpu, wall = time.process_time() - client_cpu, time.perf_counter() - wall
    for task in readers:
        task.cancel()
    for _, writer in connections:
        writer.close()
    return {
        "sockets": len(sessions),
        "servers": f"{len(server_pids)} x {SERVER}",
        "changes": CHANGES,
        "connect_seconds": round(connect_seconds, 2),
        "deliveries": len(latencies),
        "missing": missing,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(pct(latencies, 0.95), 1),
        "p99_ms": round(pct(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
        "last_socket_p50_ms": round(statistics.median(slowest), 1),
        "last_socket_p95_ms": round(pct(slowest, 0.95), 1),
        "server_cpu_ms_per_change": round(server_cpu * 1000 / CHANGES, 1),
        "client_cpu_ms_per_change": round(client_cpu * 1000 / CHANGES, 1),
        "wall_ms_per_change": round(wall * 1000 / CHANGES, 1),
        "load_average": os.getloadavg()[0],
    }


def start_servers(count: int) -> tuple[list[subprocess.Popen], socket.socket]:
    """``count`` ASGI server processes accepting on one shared listening socket (as several ASGI
    worker processes behind one port would in production)."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", PORT))
    listener.listen(1024)
    listener.set_inheritable(True)
    fd = listener.fileno()
    log = open(Path(os.environ["SPEAKUP_DATA_DIR"]) / "daphne.log", "w")  # noqa: SIM115
    if SERVER == "uvicorn":
        command = [
            *(sys.executable, "-m", "uvicorn", "--fd", str(fd), "--no-access-log"),
            *("--ws", "websockets", "--loop", "uvloop", "--http", "httptools"),
            "config.asgi:application",
        ]
    else:
        command = [sys.executable, "-m", "daphne", "--fd", str(fd), "config.asgi:application"]
    servers = [
        subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ},
            pass_fds=(fd,),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        for _ in range(count)
    ]
    time.sleep(3)  # let them import Django and start accepting
    return servers, listener


def main() -> None:
    setup_django()
    lead, case, sessions = make_guardians(SOCKETS)
    servers, listener = start_servers(SERVERS)
    try:
        result = asyncio.run(run(lead, case, sessions, [s.pid for s in servers]))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        listener.close()
    print(json.dumps(result, indent=2))
    verdict = "PASS" if result["p95_ms"] < 250 and not result["missing"] else "FAIL"
    print(f"{verdict}: p95 {result['p95_ms']} ms (target < 250 ms), missing {result['missing']}")


if __name__ == "__main__":
    main()
