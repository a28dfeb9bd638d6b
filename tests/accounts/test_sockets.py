"""Item 4: a websocket left open is closed within seconds of its account signing out (or
changing its password), on the real channel layer (in memory, or Redis on the services pass)."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def _socket(client: Client, path: str = "/ws/queue/") -> WebsocketCommunicator:
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return WebsocketCommunicator(
        application, path, headers=[(b"origin", b"http://localhost"), (b"cookie", cookie)]
    )


def closed_within(client: Client, action, seconds: float = 3.0) -> tuple[float, int | None]:
    async def run() -> tuple[float, int | None]:
        ws = _socket(client)
        connected, _ = await ws.connect()
        assert connected
        await sync_to_async(action)()
        started = time.monotonic()  # from the moment the sign-out has answered
        output = await ws.receive_output(timeout=seconds)
        elapsed = time.monotonic() - started
        await ws.wait()
        return elapsed, output.get("code") if output["type"] == "websocket.close" else None

    return async_to_sync(run)()


def test_a_socket_is_closed_within_seconds_of_sign_out(guardian):
    browser, other = Client(), Client()
    browser.force_login(guardian)
    other.force_login(guardian)

    # The socket is on one browser; the account signs out on the other
    elapsed, code = closed_within(browser, lambda: other.post("/accounts/logout/"))

    assert code == 4401
    assert elapsed < 3.0

    # and it cannot come back: the session it rode on is gone
    async def reconnect() -> bool:
        ws = _socket(browser)
        connected, _ = await ws.connect()
        await ws.disconnect()
        return connected

    assert async_to_sync(reconnect)() is False


def test_a_socket_is_closed_when_the_password_changes(guardian):
    browser = Client()
    browser.force_login(guardian)

    def change() -> None:
        guardian.set_password("a different long pass phrase")
        guardian.save()

    _, code = closed_within(browser, change)
    assert code == 4401


def test_other_accounts_sockets_stay_open(guardian, other_guardian):
    mine, theirs = Client(), Client()
    mine.force_login(guardian)
    theirs.force_login(other_guardian)

    async def run() -> bool:
        ws = _socket(theirs)
        connected, _ = await ws.connect()
        assert connected
        await sync_to_async(lambda: mine.post("/accounts/logout/"))()
        quiet = await ws.receive_nothing(timeout=1.0)
        await ws.disconnect()
        return quiet

    assert async_to_sync(run)() is True


def test_staff_who_have_not_enrolled_get_no_socket(org):
    from concerns.roles import Role
    from tests.factories import make_user

    newcomer = make_user(Role.GUARDIAN, org, username="newbie", mfa=False)
    browser = Client()
    browser.force_login(newcomer)

    async def connects() -> bool:
        ws = _socket(browser)
        connected, _ = await ws.connect()
        await ws.disconnect()
        return connected

    assert async_to_sync(connects)() is False
