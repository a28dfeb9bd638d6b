"""Throttling receipt-code guesses (per client and across the whole service) and anonymous
raising from the form (per client).

One budget for the receipt page and the API alike (``receipt_sign_in``): a client has
``attempts_per_client_per_hour`` guesses, everyone together ``attempts_global_per_minute``
(the receipt policy; README). A reporter holding the right code is never refused because
others used the budget up: once over a limit, a code that passes the keyed pre-check
(``concerns.receipts.receipt_precheck``: only codes this service issued, and one guess in a
million, pass it) is still checked, and every other guess is refused at no cost.

Counters live only in the Django cache. The client is known by a keyed hash of its address
(never the address itself), held in the cache for at most an hour and never in the database
or a log. The address is REMOTE_ADDR, or behind a proxy named in TRUSTED_PROXY_ADDRESSES the
client it forwarded for (config/proxies.py): anyone else's X-Forwarded-For is ignored.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from concerns.receipts import receipt_precheck, receipt_worth_checking
from config import rules
from config.proxies import client_address as _client_address
from workflow import selectors
from workflow.models import Case

HOUR, MINUTE = 3600, 60
GLOBAL_KEY = "speakup:receipt:global"


class Verdict(Enum):
    ALLOWED = "allowed"
    CLIENT_LIMIT = "client_limit"
    GLOBAL_LIMIT = "global_limit"


def client_address(request: HttpRequest) -> str:
    """Who is asking (config.proxies). Used only to key counters, and only hashed."""
    return _client_address(request.META)


def client_key(request: HttpRequest, purpose: str = "receipt") -> str:
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


def receipt_attempt(request: HttpRequest, *, code: str = "") -> Verdict:
    """Count an attempt to use a receipt code and say whether it may be checked."""
    policy = rules.receipts()
    verdict = Verdict.ALLOWED
    if _bump(client_key(request), HOUR) > policy.attempts_per_client_per_hour:
        # Refused attempts do not count globally, so one client cannot lock everyone out.
        verdict = Verdict.CLIENT_LIMIT
    elif _bump(GLOBAL_KEY, MINUTE) > policy.attempts_global_per_minute:
        verdict = Verdict.GLOBAL_LIMIT
    if verdict is not Verdict.ALLOWED and receipt_precheck(code):
        # A code this service issued: refusing it would let guessers lock its reporter out.
        return Verdict.ALLOWED
    return verdict


@dataclass(frozen=True)
class ReceiptCheck:
    verdict: Verdict
    case: Case | None = None


def receipt_sign_in(request: HttpRequest, *, code: str) -> ReceiptCheck:
    """The one door for receipt codes (the page and the API): count the attempt against the
    shared budget, then find the concern. A guess that fails the pre-check is answered like
    any wrong code, without the slow hash."""
    verdict = receipt_attempt(request, code=code)
    if verdict is not Verdict.ALLOWED or not receipt_worth_checking(code):
        return ReceiptCheck(verdict)
    return ReceiptCheck(verdict, selectors.case_for_receipt(code=code))


def anonymous_raise_allowed(request: HttpRequest) -> bool:
    """Count an anonymous concern from this client; False once over the hourly limit."""
    limit = rules.receipts().anonymous_raises_per_client_per_hour
    return _bump(client_key(request, "anonymous-raise"), HOUR) <= limit
