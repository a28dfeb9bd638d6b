"""Optional error reporting to Sentry (``SENTRY_DSN``), with nothing personal in an event.

``send_default_pii`` is off, local variables are not sent, and ``scrub_event`` (run on every
event and breadcrumb) keeps only what helps find a bug: the exception and its stack, the
route's pattern (never the path), the method and the status. Request bodies, query strings,
headers, cookies, user details, client addresses and log messages are removed.
"""

from __future__ import annotations

import os
from typing import Any

KEPT_EVENT_KEYS = frozenset(
    {
        "event_id",
        "timestamp",
        "level",
        "platform",
        "logger",
        "exception",
        "transaction",
        "transaction_info",
        "release",
        "environment",
        "sdk",
        "tags",
        "fingerprint",
        "type",
        "contexts",
    }
)
KEPT_CONTEXTS = frozenset({"runtime", "os", "trace"})
KEPT_REQUEST_KEYS = frozenset({"method"})


def _scrub_exception(exception: dict[str, Any]) -> dict[str, Any]:
    for value in exception.get("values") or []:
        # An exception's message can quote input (an address, a reference): keep the type.
        value.pop("value", None)
        for frame in (value.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    return exception


def scrub_event(event: dict[str, Any], hint: Any = None) -> dict[str, Any]:
    request = event.get("request") or {}
    scrubbed = {k: v for k, v in event.items() if k in KEPT_EVENT_KEYS}
    scrubbed["request"] = {k: v for k, v in request.items() if k in KEPT_REQUEST_KEYS}
    if "exception" in scrubbed:
        scrubbed["exception"] = _scrub_exception(scrubbed["exception"])
    if isinstance(scrubbed.get("contexts"), dict):
        scrubbed["contexts"] = {k: v for k, v in scrubbed["contexts"].items() if k in KEPT_CONTEXTS}
    if isinstance(scrubbed.get("tags"), dict):
        scrubbed["tags"] = {
            k: v for k, v in scrubbed["tags"].items() if k not in {"url", "user", "client_ip"}
        }
    # With transaction_style="url" a request's transaction is its route's pattern
    # ("/api/v1/concerns/{reference}/"), a task's its name; a concrete URL is dropped.
    if (scrubbed.get("transaction_info") or {}).get("source") not in {"route", "task"}:
        scrubbed.pop("transaction", None)
    return scrubbed


def scrub_breadcrumb(crumb: dict[str, Any], hint: Any = None) -> dict[str, Any] | None:
    """Breadcrumbs repeat log messages, SQL and HTTP calls: keep only their category."""
    return {k: v for k, v in crumb.items() if k in {"category", "level", "timestamp", "type"}}


def init_from_env() -> bool:
    dsn = os.environ.get("SENTRY_DSN", "")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=0.0,
        integrations=[DjangoIntegration(transaction_style="url"), CeleryIntegration()],
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
    )
    return True
