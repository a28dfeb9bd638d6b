"""Websockets when the channel layer (Redis, through a TCP proxy of our own) is cut: every
open socket is closed with 1013 "try again later", the outage is logged once (not per
socket, not per reconnect attempt), reconnects during the cut are refused the same way,
and once Redis is back a socket connects and hears again."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlparse

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.test import override_settings

from notifications import live
from notifications.consumers import TRY_AGAIN_LATER
from tests.faults.tools import TcpProxy
from tests.notifications.test_consumers import communicator, session_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SOCKETS = 6


@pytest.fixture(autouse=True)
def _fresh_health(monkeypatch):
    monkeypatch.setattr(live, "health", live.LayerHealth())


def test_channel_layer_cut_closes_sockets_with_1013_logged_once_then_recovers(guardian, caplog):
    real = urlparse(settings.REDIS_URL)
    session = session_for(guardian)
    with TcpProxy(real.hostname, real.port or 6379) as proxy:
        url = f"redis://127.0.0.1:{proxy.port}{real.path or '/0'}"
        layers = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [url], "prefix": "h14ws"},
            }
        }
        with override_settings(CHANNEL_LAYERS=layers):

            async def scenario() -> dict:
                sockets = [communicator("/ws/queue/", session) for _ in range(SOCKETS)]
                opened = [(await ws.connect(timeout=10))[0] for ws in sockets]
                await asyncio.sleep(0.3)  # every socket is listening on the layer
                proxy.cut()
                closes = [await ws.receive_output(timeout=15) for ws in sockets]
                retries = []
                for _ in range(3):  # the page's reconnects while Redis is still away
                    ws = communicator("/ws/queue/", session)
                    connected, code = await ws.connect(timeout=10)
                    retries.append((connected, code))
                proxy.restore()
                back = communicator("/ws/queue/", session)
                back_connected, _ = await back.connect(timeout=10)
                await back.disconnect()
                return {
                    "opened": opened,
                    "closes": closes,
                    "retries": retries,
                    "back": back_connected,
                }

            with caplog.at_level(logging.WARNING):
                result = async_to_sync(scenario)()

    assert result["opened"] == [True] * SOCKETS
    assert result["closes"] == [{"type": "websocket.close", "code": TRY_AGAIN_LATER}] * SOCKETS
    assert result["retries"] == [(False, TRY_AGAIN_LATER)] * 3
    assert result["back"] is True
    down = [r for r in caplog.records if "channel layer unavailable" in r.getMessage()]
    up = [r for r in caplog.records if "channel layer available again" in r.getMessage()]
    assert (len(down), len(up)) == (1, 1), [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if r.exc_info], "no tracebacks"
