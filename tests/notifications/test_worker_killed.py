"""A worker killed with SIGKILL in the middle of sending an email: the notification still
goes out, once. Real processes: a `celery worker` subprocess on the real Redis broker and
the PostgreSQL test database, sending to a small SMTP server run by this test."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications import tasks
from notifications.models import Channel, Delivery
from tests.notifications.test_worker import (  # noqa: F401 (_empty_queue is a fixture)
    _empty_queue,
    planned_unpublished,
    pytestmark,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]

pytestmark = list(pytestmark)
if connection.vendor != "postgresql":
    pytestmark.append(
        pytest.mark.skip(reason="!!! needs PostgreSQL: a worker process must share the DB !!!")
    )


class FakeSMTP(socketserver.ThreadingTCPServer):
    """Just enough SMTP to accept mail; while ``stall`` is set it never greets, so a client
    hangs mid-delivery."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SMTPHandler)
        self.stall = threading.Event()
        self.stalled_connections = 0
        self.messages: list[bytes] = []


class SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server: FakeSMTP = self.server  # type: ignore[assignment]
        if server.stall.is_set():
            server.stalled_connections += 1
            while server.stall.is_set():
                time.sleep(0.05)
            return  # drop the connection
        self.wfile.write(b"220 fake ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in {b"EHLO", b"HELO"}:
                self.wfile.write(b"250 fake\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                body = b""
                while (chunk := self.rfile.readline()) and chunk != b".\r\n":
                    body += chunk
                server.messages.append(body)
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp():
    server = FakeSMTP()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.stall.clear()
    server.shutdown()
    server.server_close()


def start_worker_process(smtp_port: int) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-l", "WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_worker_killed_mid_email_leads_to_one_email_not_two(org, guardian, smtp):
    # given a new-case email planned while the broker was down
    planned_unpublished(org)
    row = Delivery.objects.get(recipient=guardian, channel=Channel.EMAIL)

    # when a worker picks it up and is killed while talking to the mail server
    smtp.stall.set()
    first = start_worker_process(smtp.server_address[1])
    try:
        tasks.deliver.delay(row.pk)
        assert wait_for(lambda: smtp.stalled_connections >= 1, timeout=60), "worker never sent"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    row.refresh_from_db()
    assert row.sent_at is None  # it never got as far as recording a send

    # and the mail server recovers, a new worker starts, the sweeper runs, and the killed
    # task's message is redelivered as well
    smtp.stall.clear()
    # (the killed worker's claim is a committed lease now: let it lapse, as time would)
    Delivery.objects.update(
        not_before=timezone.now() - dt.timedelta(minutes=2),
        leased_until=timezone.now() - dt.timedelta(seconds=1),
    )
    second = start_worker_process(smtp.server_address[1])
    try:
        tasks.sweep.delay()
        assert wait_for(lambda: len(smtp.messages) >= 1, timeout=60)
        tasks.deliver.delay(row.pk)
        time.sleep(3)
    finally:
        second.terminate()
        second.wait(timeout=20)

    # then the guardian got exactly one email
    to_guardian = [m for m in smtp.messages if guardian.email.encode() in m]
    assert len(to_guardian) == 1
    row.refresh_from_db()
    assert row.sent_at is not None
