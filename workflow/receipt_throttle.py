"""Throttling receipt-code guesses (per client and across the whole service) and anonymous
raising from the form (per client).

Counters live only in the Django cache. The client is known by a keyed hash of its IP address
(never the address itself), held in the cache for at most an hour and never in the database
or a log. Only REMOTE_ADDR is used: a forwarded header could be forged to dodge the limit.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import Enum

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from config import policies

HOUR, MINUTE = 3600, 60


class Verdict(Enum):
    ALLOWED = "allowed"
    CLIENT_LIMIT = "client_limit"
    GLOBAL_LIMIT = "global_limit"


def _client_key(request: HttpRequest, purpose: str = "receipt") -> str:
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    key = hmac.new(
        settings.SPEAKUP_PEPPER.encode(), f"{purpose}-throttle".encode(), hashlib.sha256
    ).digest()
    digest = hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:40]
    return f"speakup:{purpose}:client:{digest}"


def _bump(key: str, seconds: int) -> int:
    """Count one attempt in a window that starts with the first attempt."""
    cache.add(key, 0, seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        return 1


def receipt_attempt(request: HttpRequest) -> Verdict:
    """Count an attempt to use a receipt code and say whether it may be checked."""
    policy = policies.receipts()
    if _bump(_client_key(request), HOUR) > policy.attempts_per_client_per_hour:
        # Refused attempts do not count globally, so one client cannot lock everyone out.
        return Verdict.CLIENT_LIMIT
    if _bump("speakup:receipt:global", MINUTE) > policy.attempts_global_per_minute:
        return Verdict.GLOBAL_LIMIT
    return Verdict.ALLOWED


def anonymous_raise_allowed(request: HttpRequest) -> bool:
    """Count an anonymous concern from this client; False once over the hourly limit."""
    limit = policies.receipts().anonymous_raises_per_client_per_hour
    return _bump(_client_key(request, "anonymous-raise"), HOUR) <= limit
