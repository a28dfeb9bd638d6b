"""Logs as one JSON object a line, with a request id, and nothing that identifies a reporter.

Imported by gunicorn's and uvicorn's logging configuration before Django is set up, so this
module imports nothing of Django's models or settings.

What a line may hold is a closed list (``FIELDS``): the time, level, logger, message, the
request or task id, and the request's route *name*, method, status and duration. Anything a
library attaches to a record (Django's ``request``, uvicorn's client address tuple, Celery's
task arguments) is dropped by the formatter, and the messages of Django's request and
security loggers, which quote the request path or Host header, are replaced by fixed words.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

FIELDS = frozenset(
    {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "task_id",
        "task",
        "route",
        "method",
        "status",
        "duration_ms",
        "exc_info",
        "outcome",
    }
)
# Loggers whose messages quote a path, a Host header or a client address.
_REWORDED = (
    "django.request",
    "django.security",
    "django.server",
    "django.channels.server",  # daphne's runserver (./scripts/serve): address and path
    "uvicorn.error",
    "daphne",
)
# gunicorn's own lines that quote a request's URI or the client's address.
_GUNICORN_REQUEST_LINES = ("Error handling request", "Invalid request from", "Socket error")
_INCOMING_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def new_request_id(incoming: str | None = None) -> str:
    """An id for one request: a proxy's well-formed X-Request-ID, else a fresh one."""
    if incoming and _INCOMING_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class JsonFormatter(_JsonFormatter):
    """python-json-logger, restricted to ``FIELDS``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"}
        )
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        if record.name == "gunicorn.error" and str(record.msg).startswith(_GUNICORN_REQUEST_LINES):
            record.msg, record.args = "request failed in the web server", ()
        elif record.name.startswith(_REWORDED) and record.levelno < logging.CRITICAL:
            status = getattr(record, "status_code", None)
            record.msg = f"request answered {status}" if status else "server notice"
            record.args = ()
            if isinstance(status, int):
                record.status = status
        return super().format(record)

    def add_fields(self, log_data: dict, record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_data, record, message_dict)
        rid = request_id.get()
        if rid and "request_id" not in log_data:
            log_data["request_id"] = rid
        for key in [k for k in log_data if k not in FIELDS]:
            del log_data[key]


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """The one dictConfig for Django, Celery, gunicorn and uvicorn."""
    quiet = {"level": "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "ops.logs.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Access logs carry client addresses and paths: off everywhere. Requests are
            # logged by ops.middleware.RequestLogMiddleware with the route name instead.
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            # uvicorn.error logs every websocket's client address and path at INFO.
            "uvicorn.error": {"handlers": ["console"], "level": "WARNING", "propagate": False},
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "uvicorn": quiet,
            "django.server": quiet,
            "django.channels.server": quiet,
            "daphne": quiet,
            # The Board pack's font subsetting reports every table it prunes, at INFO.
            "fontTools": quiet,
            "fpdf": quiet,
        },
    }
