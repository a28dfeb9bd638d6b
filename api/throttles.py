"""Throttles for the doors an attacker would knock on: receipt codes, token sign-in and
anonymous raising.

Rates are read when a request arrives (DRF's own class reads them at import), so tests and
deployments can change them. Clients are told apart by a keyed hash of their address: the
cache never holds an IP address, in keeping with "no IP address stored" for anonymous
reporters.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from config import policies


class _Throttle(SimpleRateThrottle):
    scope: str

    def get_rate(self) -> str | None:
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate set for scope '{self.scope}'.") from exc

    def get_ident(self, request: Request) -> str:
        raw = super().get_ident(request) or "unknown"
        key = hmac.new(settings.SPEAKUP_PEPPER.encode(), b"throttle-client", "sha256").digest()
        return hmac.new(key, raw.encode(), hashlib.sha256).hexdigest()[:32]

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ReceiptClientThrottle(_Throttle):
    """Receipt-code guesses from one client (rate from the receipt policy)."""

    scope = "receipt_client"

    def get_rate(self) -> str:
        return f"{policies.receipts().attempts_per_client_per_hour}/hour"


class ReceiptGlobalThrottle(_Throttle):
    """Receipt-code guesses from everyone together: a botnet gets no more than one client."""

    scope = "receipt_global"

    def get_rate(self) -> str:
        return f"{policies.receipts().attempts_global_per_minute}/minute"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": "all"}


class TokenSignInThrottle(_Throttle):
    """Password guesses from one client; checked before any password is hashed."""

    scope = "token_client"


class AnonymousRaiseThrottle(_Throttle):
    """Anonymous concerns from one client (they cost a slow receipt hash each)."""

    scope = "anonymous_raise"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        data = request.data
        if not isinstance(data, dict) or data.get("route") != "anonymous":
            return None
        return super().get_cache_key(request, view)
