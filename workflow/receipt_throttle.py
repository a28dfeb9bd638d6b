"""Throttling receipt-code guesses (per client and across the whole service) and anonymous
raising from the form (per client).

Counters live only in the Django cache. The client is known by a keyed hash of its IP address
(never the address itself), held in the cache for at most an hour and never in the database
or a log. X-Forwarded-For is read only behind trusted proxies (``TRUSTED_PROXIES``): a client
could otherwise forge it to dodge the limit.
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


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind ``SPEAKUP_TRUSTED_PROXIES`` reverse proxies the address they
    saw (as DRF's throttles take it). Used only to key counters, and only hashed."""
    proxies = settings.SPEAKUP_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [a.strip() for a in forwarded.split(",") if a.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _client_key(request: HttpRequest, purpose: str = "receipt") -> str:
    address = client_address(request)
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
