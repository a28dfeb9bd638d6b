"""django-allauth adapters: sign-up closed, client addresses never kept, MFA secrets
encrypted with the field-encryption keys."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.http import HttpRequest

from concerns import crypto


def client_key(request: HttpRequest) -> str:
    """A keyed hash of the client's address: rate limits tell clients apart without the
    cache ever holding an address (the same rule as api.throttles)."""
    from config.proxies import client_address

    # The address by the one rule of config/proxies.py (X-Forwarded-For believed only from
    # TRUSTED_PROXY_ADDRESSES), as for the receipt and API throttles.
    raw = client_address(request.META) or "unknown"
    key = hmac.new(settings.SPEAKUP_PEPPER.encode(), b"throttle-client", "sha256").digest()
    return hmac.new(key, raw.encode(), hashlib.sha256).hexdigest()[:32]


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are made by administrators (and, later, invitations): no self sign-up.
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        return client_key(request)

    def get_http_user_agent(self, request: HttpRequest) -> str:
        return ""

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # The account alone, not allauth's "host:account": another allowed Host header must
        # not open a fresh count for the same account.
        return str(credentials.get("username", credentials.get("email", ""))).lower()

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """Setting up the first MFA method within minutes of a password sign-in does not
        ask for the password again (staff are sent there straight from signing in);
        everything else about MFA and passwords does."""
        if app == "allauth.mfa" and _first_enrolment_just_after_sign_in():
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        from accounts import services

        services.sign_in_failure_record(username=str(credentials.get("username", "")))

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        from django.core.exceptions import ValidationError

        from accounts import services

        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            services.sign_in_failure_record(
                username=str(credentials.get("username", "")), locked=True
            )
            raise


def _first_enrolment_just_after_sign_in() -> bool:
    """A session signed in by password in the last few minutes, whose account had no MFA
    method before that sign-in (every one it has now was made since)."""
    import datetime as dt
    import time

    from allauth.account import app_settings
    from allauth.account.internal.flows.login import get_authentication_records
    from allauth.core import context
    from allauth.mfa.models import Authenticator

    request = context.request
    if request is None or not request.user.is_authenticated:
        return False
    records = get_authentication_records(request, request.user)
    latest = max((r.get("at", 0) for r in records if r.get("method") == "password"), default=0)
    if time.time() - latest >= app_settings.REAUTHENTICATION_TIMEOUT:
        return False
    signed_in = dt.datetime.fromtimestamp(latest, tz=dt.UTC)
    return not Authenticator.objects.filter(user=request.user, created_at__lt=signed_in).exists()


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return crypto.encrypt_bytes(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt_bytes(encrypted_text.encode()).decode()

    def can_delete_authenticator(self, authenticator: Any) -> bool:
        """Staff keep at least one way to prove it is them (TOTP or a passkey)."""
        from allauth.mfa.models import Authenticator

        from accounts.policies import mfa_required

        user = authenticator.user
        if not mfa_required(user) or authenticator.type == Authenticator.Type.RECOVERY_CODES:
            return True
        others = Authenticator.objects.filter(
            user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        ).exclude(pk=authenticator.pk)
        return others.exists()
