"""Log lines: one JSON object each, a request id, a route name, and nothing else of the
request (no client address, User-Agent, cookie, path or concern reference)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from celery import shared_task

from ops import logs
from ops.logs import JsonFormatter

ADDRESS = "203.0.113.77"
AGENT = "Mozilla/5.0 (UniqueAgent-h19-7Q2)"
COOKIE = "tracking=cookie-value-h19-X9"


@pytest.fixture
def captured():
    """The formatter on a stream, attached to the root logger like the production config."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_record_is_one_json_object_with_only_the_allowed_fields(captured):
    # given a record carrying what libraries attach: a request object, a client tuple
    logging.getLogger("speakup.test").info(
        "hello %s", "world", extra={"request": object(), "client": (ADDRESS, 5), "route": "x"}
    )
    # then the line is JSON, keeps the message and route, and drops the rest
    (line,) = lines(captured)
    assert line["message"] == "hello world"
    assert line["route"] == "x"
    assert set(line) <= logs.FIELDS
    assert ADDRESS not in captured.getvalue()


def test_djangos_request_logger_loses_the_path(captured):
    # Django logs "Not Found: <path>" with the request attached
    logging.getLogger("django.request").warning(
        "%s: %s", "Not Found", "/api/v1/concerns/SU-2026-00042/", extra={"status_code": 404}
    )
    (line,) = lines(captured)
    assert "SU-2026-00042" not in captured.getvalue()
    assert line["status"] == 404


def test_uvicorns_websocket_lines_lose_the_client_address():
    # uvicorn.error logs each socket as "('<address>', <port>) - "WebSocket <path>" [accepted]"
    record = logging.getLogger("uvicorn.error").makeRecord(
        "uvicorn.error",
        logging.WARNING,
        __file__,
        1,
        '%s - "WebSocket %s" [accepted]',
        (f"('{ADDRESS}', 51000)", "/ws/concerns/SU-2026-00001/"),
        None,
    )
    text = JsonFormatter().format(record)
    assert ADDRESS not in text and "SU-2026-00001" not in text
    assert json.loads(text)["logger"] == "uvicorn.error"


def test_gunicorns_request_error_lines_lose_the_uri_and_address():
    for msg, args in [
        ("Error handling request %s", ("/raise/sent/SU-2026-00007/",)),
        ("Invalid request from ip={ip}: {error}".replace("{ip}", ADDRESS), ()),
    ]:
        record = logging.getLogger("gunicorn.error").makeRecord(
            "gunicorn.error", logging.ERROR, __file__, 1, msg, args, None
        )
        text = JsonFormatter().format(record)
        assert ADDRESS not in text and "SU-2026" not in text
        assert json.loads(text)["message"] == "request failed in the web server"


def test_the_development_servers_request_lines_lose_address_and_path():
    # daphne's runserver (./scripts/serve) logs "HTTP GET <path> 200 [0.01, <address>:<port>]"
    record = logging.getLogger("django.channels.server").makeRecord(
        "django.channels.server",
        logging.WARNING,
        __file__,
        1,
        "HTTP %(method)s %(path)s %(status)s [%(time_taken).2f, %(client)s]",
        (
            {
                "method": "GET",
                "path": "/raise/sent/SU-2026-00009/",
                "status": 404,
                "time_taken": 0.01,
                "client": f"{ADDRESS}:5000",
            },
        ),
        None,
    )
    text = JsonFormatter().format(record)
    assert ADDRESS not in text and "SU-2026" not in text
    assert logs.logging_config()["loggers"]["django.channels.server"]["level"] == "WARNING"


def test_an_incoming_request_id_is_kept_only_when_well_formed():
    assert logs.new_request_id("abcdef12-3456") == "abcdef12-3456"
    for bad in ["", "short", "x" * 65, "id with spaces and 203.0.113.77", "a\nb" * 5]:
        assert logs.new_request_id(bad) != bad


@pytest.mark.django_db
def test_a_request_is_logged_by_route_name_with_a_request_id(client, captured, org):
    # when an anonymous reporter's browser opens the raise form and a receipt route
    # with a distinctive address, agent and cookie
    client.cookies.load(COOKIE)
    response = client.get(
        "/", HTTP_USER_AGENT=AGENT, HTTP_X_FORWARDED_FOR=ADDRESS, REMOTE_ADDR="127.0.0.2"
    )
    missing = client.get("/api/v1/concerns/SU-2026-00042/", HTTP_USER_AGENT=AGENT)
    text = captured.getvalue()
    # then each request is one line with route name, status, duration and request id
    requests = [line for line in lines(captured) if line["message"] == "request"]
    assert [r["status"] for r in requests] == [response.status_code, missing.status_code]
    assert requests[0]["route"] == "home"
    assert all(r["request_id"] and r["duration_ms"] >= 0 for r in requests)
    assert response["X-Request-ID"] == requests[0]["request_id"]
    # and nothing of the request itself
    for secret in [ADDRESS, "127.0.0.2", AGENT, "UniqueAgent", "cookie-value-h19", "SU-2026"]:
        assert secret not in text, secret
    assert "/api/v1/concerns" not in text


def test_every_line_of_the_config_uses_the_json_formatter():
    config = logs.logging_config()
    assert config["handlers"]["console"]["formatter"] == "json"
    assert config["loggers"]["gunicorn.access"]["level"] == "CRITICAL"
    assert config["loggers"]["uvicorn.access"]["handlers"] == []


@shared_task(name="tests.ops.request_id_seen")
def request_id_seen() -> str:
    return logs.request_id.get()


def test_a_task_logs_with_its_id_and_gives_the_request_its_own_back():
    # given a request id in force (an eager task runs inside the request that queued it)
    token = logs.request_id.set("request-0001")
    try:
        result = request_id_seen.apply()
        after = logs.request_id.get()
    finally:
        logs.request_id.reset(token)
    # then the task ran under its own id, and the request's id came back afterwards
    # (.result, not .get(): an earlier in-process worker leaves Celery refusing get())
    assert result.result == result.id
    assert after == "request-0001"
