"""PostgreSQL (or SQLite's write lock) unavailable: a 503 with ``Retry-After``, not a 500.

The database going away is an outage, not a bug: the API answers JSON, a page says "try
again shortly", and both tell the client when. Nothing is kept between requests, so the next
request after the database returns simply works (the pool replaces broken connections).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger("config.unavailable")

RETRY_AFTER_SECONDS = 5
UNAVAILABLE = (OperationalError, InterfaceError)


def is_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, UNAVAILABLE)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    title = "Sorry, the service is busy"
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": "Service temporarily unavailable; try again shortly."}, status=503
        )
    else:
        text = "We could not reach our records just now. Please try again in a few seconds."
        body = render_to_string("error.html", {"title": title, "text": text, "status": 503})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def current_exception_is_unavailable() -> bool:
    """For the 500 handler: Django calls it inside its ``except`` block."""
    return is_unavailable(sys.exc_info()[1])


class DatabaseUnavailableMiddleware:
    """Turns a database outage raised by a view into the 503 above. Failures outside views
    (a session saved in a middleware) reach ``config.errors.server_error``, which does the
    same."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_unavailable(exception):
            return None
        logger.warning("database unavailable (%s): 503", type(exception).__name__)
        return service_unavailable(request)
