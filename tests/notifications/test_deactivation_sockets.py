"""Issue 15, item 4: an account being disabled ends its open websockets at once, as signing out
does (tests/accounts/test_sockets.py). The administrator deactivates the guardian through the
set-up page while the guardian's queue socket is open, on the real channel layer (in memory, or
Redis on the services pass); the socket is closed with 4401 and cannot come back; a
colleague's socket stays open."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from concerns.roles import Role
from config.asgi import application
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def socket_of(client: Client, path: str = "/ws/queue/") -> WebsocketCommunicator:
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return WebsocketCommunicator(
        application, path, headers=[(b"origin", b"http://localhost"), (b"cookie", cookie)]
    )


@pytest.fixture
def administrator(org) -> Client:
    ada = make_user(Role.ADMIN, username="ada", email="ada@example.nhs.uk")
    client = Client()
    client.force_login(ada)
    return client


def test_deactivating_an_account_closes_its_open_sockets(administrator, guardian, other_guardian):
    browser, colleague = Client(), Client()
    browser.force_login(guardian)
    colleague.force_login(other_guardian)

    def deactivate() -> int:
        return administrator.post(f"/setup/staff/{guardian.pk}/deactivate/").status_code

    async def run() -> tuple[int, dict, bool]:
        mine, theirs = socket_of(browser), socket_of(colleague)
        assert (await mine.connect())[0] and (await theirs.connect())[0]
        status = await sync_to_async(deactivate)()
        closed = await mine.receive_output(timeout=3)
        await mine.wait()
        # the colleague's socket is untouched
        quiet = await theirs.receive_nothing(timeout=0.5)
        await theirs.disconnect()
        return status, closed, quiet

    status, closed, colleague_quiet = async_to_sync(run)()
    assert status == 302
    assert closed["type"] == "websocket.close" and closed.get("code") == 4401
    assert colleague_quiet is True
    guardian.refresh_from_db()
    assert guardian.is_active is False

    async def reconnect() -> bool:
        ws = socket_of(browser)
        connected, _ = await ws.connect()
        await ws.disconnect()
        return connected

    assert async_to_sync(reconnect)() is False  # the session it rode on is gone
