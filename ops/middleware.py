"""One log line and one metric sample per request, named by route, never by path."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from ops import logs, metrics

logger = logging.getLogger("speakup.request")


def route_name(request: HttpRequest) -> str:
    """The URL pattern's name (``raise``, ``api-concern-detail``), never the path: a path
    can hold a concern's reference. Unresolved paths (404s) all share one name."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        # WhiteNoise answers static files before URL resolution.
        return "static" if request.path.startswith(settings.STATIC_URL) else "unresolved"
    return match.view_name or match._func_path or "unnamed"


class RequestLogMiddleware:
    """Outermost middleware: sets the request id for every log line of the request, then
    logs route name, method, status and duration (no address, User-Agent, cookie or path)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = logs.new_request_id(request.headers.get("X-Request-ID"))
        token = logs.request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            duration = time.perf_counter() - started
            route = route_name(request)
            method = request.method if request.method in metrics.METHODS else "OTHER"
            metrics.observe_request(
                route=route, method=method, status=response.status_code, seconds=duration
            )
            logger.info(
                "request",
                extra={
                    "route": route,
                    "method": method,
                    "status": response.status_code,
                    "duration_ms": round(duration * 1000, 1),
                },
            )
            response["X-Request-ID"] = rid
            return response
        finally:
            logs.request_id.reset(token)
