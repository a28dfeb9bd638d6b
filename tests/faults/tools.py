"""What the fault tests inject faults with: a TCP proxy of our own (cut it, restore it), an
SMTP server of our own (aiosmtpd) that counts messages by Message-ID and can stall, a
"black hole" that accepts connections and never answers, and the app served by uvicorn.

Ports come from FAULT_PORTS (18200-18299 by default), so parallel runs elsewhere on the
machine are not disturbed. Nothing here mocks the database, the broker or the mail server.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
_low, _high = (int(p) for p in os.environ.get("FAULT_PORTS", "18200-18299").split("-"))
# Each pytest-xdist worker starts at its own part of the range, so two never race for a port.
_worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").lstrip("gw") or 0)
_next = [_low + (_worker * 25) % (_high - _low + 1)]
_ports_lock = threading.Lock()


def free_port() -> int:
    """The next port of our range that nothing listens on."""
    with _ports_lock:
        for _ in range(_high - _low + 1):
            port = _next[0]
            _next[0] = _low if port >= _high else port + 1
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port in the fault-test range")


def wait_for(predicate: Callable[[], object], timeout: float = 15.0, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return bool(predicate())


def port_answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        return False
    return True


class TcpProxy:
    """Forwards 127.0.0.1:port to an upstream. ``cut()`` drops every connection and refuses
    new ones (the service is down, as far as the app can tell); ``restore()`` listens again."""

    def __init__(self, upstream_host: str, upstream_port: int, port: int | None = None) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = port or free_port()
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connections = 0
        # While set, new connections are accepted and never answered (a hung server).
        self.stall = threading.Event()
        self.stalled: list[socket.socket] = []

    def __enter__(self) -> TcpProxy:
        self.restore()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()

    def restore(self) -> None:
        if self._thread is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def cut(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        stalled, self.stalled = self.stalled, []
        for s in stalled:
            s.close()
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for a, b in pairs:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def _serve(self) -> None:
        listener = self._listener
        assert listener is not None
        sel = selectors.DefaultSelector()
        sel.register(listener, selectors.EVENT_READ)
        peers: dict[socket.socket, socket.socket] = {}
        try:
            while not self._stop.is_set():
                for key, _ in sel.select(timeout=0.05):
                    sock = key.fileobj
                    if sock is listener:
                        client, _ = listener.accept()
                        if self.stall.is_set():
                            self.stalled.append(client)
                            continue
                        try:
                            upstream = socket.create_connection(self.upstream, timeout=2)
                        except OSError:
                            client.close()
                            continue
                        self.connections += 1
                        for s in (client, upstream):
                            s.setblocking(False)
                            sel.register(s, selectors.EVENT_READ)
                        peers[client], peers[upstream] = upstream, client
                        with self._lock:
                            self._pairs.append((client, upstream))
                        continue
                    other = peers.get(sock)
                    try:
                        data = sock.recv(65536)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        data = b""
                    if data and other is not None:
                        try:
                            other.setblocking(True)
                            other.sendall(data)
                            other.setblocking(False)
                            continue
                        except OSError:
                            pass
                    for s in (sock, other):
                        if s is None:
                            continue
                        with contextlib.suppress(KeyError, ValueError):
                            sel.unregister(s)
                        peers.pop(s, None)
                        s.close()
        finally:
            sel.close()
            listener.close()
            for s in list(peers):
                s.close()


class RecordingHandler:
    """Counts what the server accepted, by Message-ID. ``stall_quit``: after accepting a
    message the server does not answer QUIT (the client is left waiting, message taken)."""

    def __init__(self) -> None:
        self.message_ids: list[str] = []
        self.recipients: list[str] = []
        self.accepted = threading.Event()
        self.stall_quit = threading.Event()
        # While set, a message is read but not yet answered (250 withheld).
        self.hold_data = threading.Event()
        self.quits_waiting = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        parsed = email.message_from_bytes(envelope.original_content or envelope.content)
        self.message_ids.append(parsed.get("Message-ID", ""))
        self.recipients += list(envelope.rcpt_tos)
        self.accepted.set()
        while self.hold_data.is_set():
            await asyncio.sleep(0.02)
        return "250 OK queued"

    async def handle_QUIT(self, server, session, envelope) -> str:
        if self.stall_quit.is_set():
            self.quits_waiting += 1
            while self.stall_quit.is_set():
                await asyncio.sleep(0.05)
        return "221 Bye"

    @property
    def delivered(self) -> int:
        return len(set(self.message_ids))

    @property
    def duplicated(self) -> int:
        return sum(n - 1 for n in Counter(self.message_ids).values())


class SmtpServer:
    """aiosmtpd on a port of our range."""

    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.handler.stall_quit.clear()
        self.handler.hold_data.clear()
        self.controller.stop()


class BlackHole:
    """A server that accepts connections and never says a word (a hung mail server)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.accepted = 0
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(64)
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> BlackHole:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        for s in self._held:
            s.close()
        self._listener.close()

    def _serve(self) -> None:
        self._listener.settimeout(0.05)
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self._held.append(client)


def service_env(**overrides: str) -> dict[str, str]:
    env = {**os.environ, "LOG_LEVEL": "WARNING", "DEBUG": "0", "SECURE_COOKIES": "0"}
    env.setdefault("SECRET_KEY", "test-only-secret-key")
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def start_uvicorn(env: dict[str, str], *, workers: int = 1) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    if not wait_for(lambda: port_answers(port) or process.poll() is not None, timeout=60):
        stop(process)
        raise RuntimeError("uvicorn did not start")
    if process.poll() is not None:
        raise RuntimeError("uvicorn exited: " + process.stderr.read().decode()[-2000:])
    return process, port


def start_celery_worker(env: dict[str, str], *, pool: str = "solo") -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--pool={pool}",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process this test started (and its children: uvicorn's workers), by id."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
