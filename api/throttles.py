"""Throttles for the doors an attacker would knock on: token sign-in and anonymous raising.
(Receipt codes have one budget for page and API: workflow.receipt_throttle.)

Rates are read when a request arrives (DRF's own class reads them at import), so tests and
deployments can change them. Clients are told apart by a keyed hash of their address: the
cache never holds an IP address, in keeping with "no IP address stored" for anonymous
reporters. The address is the peer's, or behind a proxy named in TRUSTED_PROXY_ADDRESSES
the client's (config.proxies): never an X-Forwarded-For from anyone else.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from config.proxies import client_address
from workflow.receipt_throttle import anonymous_raise_allowed


class _Throttle(SimpleRateThrottle):
    scope: str

    def get_rate(self) -> str | None:
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate set for scope '{self.scope}'.") from exc

    def get_ident(self, request: Request) -> str:
        raw = client_address(request.META)
        key = hmac.new(settings.SPEAKUP_PEPPER.encode(), b"throttle-client", "sha256").digest()
        return hmac.new(key, raw.encode(), hashlib.sha256).hexdigest()[:32]

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenSignInThrottle(_Throttle):
    """Password guesses from one client; checked before any password is hashed."""

    scope = "token_client"


class AnonymousRaiseThrottle(BaseThrottle):
    """Anonymous concerns from one client (they cost a slow receipt hash each): the raise
    form's budget, shared with it (workflow.receipt_throttle; the receipt policy's rate)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        data = request.data
        if not isinstance(data, dict) or data.get("route") != "anonymous":
            return True
        return anonymous_raise_allowed(request._request)

    def wait(self) -> float:
        return 3600.0
