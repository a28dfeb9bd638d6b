"""Anonymous receipt sessions for the API.

An anonymous reporter proves they hold a receipt code once (POST /api/v1/anonymous/sessions/)
and gets a short-lived signed token for that one concern. They send it like any other token,
``Authorization: Token receipt.<signed>``; the prefix tells it apart from account tokens
(``su_…``, django-rest-knox). Nothing is stored: the token is a signature over the concern
id and reference, with its own salt, that expires after the receipt policy's session length.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from config import rules
from workflow.models import Case
from workflow.policies import ReceiptHolder

PREFIX = "receipt."
_SALT = "speakup.api.receipt-session"


@dataclass(frozen=True)
class ReceiptSession:
    """``request.auth`` for a receipt holder: which concern the token was issued for."""

    concern_id: int
    reference: str


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT)


def receipt_token_issue(*, case: Case) -> str:
    return PREFIX + _signer().sign_object({"c": case.concern_id, "r": case.reference})


def receipt_token_read(token: str) -> ReceiptSession:
    """The session behind a token; AuthenticationFailed if forged, altered or expired."""
    max_age = dt.timedelta(minutes=rules.receipts().session_minutes)
    try:
        data = _signer().unsign_object(token.removeprefix(PREFIX), max_age=max_age)
    except signing.SignatureExpired as exc:
        raise AuthenticationFailed(
            "Your receipt session has expired. Enter your receipt code again."
        ) from exc
    except (signing.BadSignature, ValueError) as exc:
        raise AuthenticationFailed("This receipt session is not valid.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        raise AuthenticationFailed("This receipt session is not valid.")
    return ReceiptSession(concern_id=data["c"], reference=str(data.get("r", "")))


class ReceiptTokenAuthentication(BaseAuthentication):
    """Yields a ``ReceiptHolder`` (not a user: ``is_authenticated`` is False, so every
    endpoint that asks for a signed-in user refuses it)."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[ReceiptHolder, ReceiptSession] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != self.keyword.lower().encode():
            return None
        try:
            token = parts[1].decode()
        except UnicodeError:
            return None  # TokenAuthentication answers for malformed headers
        if not token.startswith(PREFIX):
            return None
        session = receipt_token_read(token)
        return ReceiptHolder(concern_id=session.concern_id), session

    def authenticate_header(self, request: Any) -> str:
        return self.keyword


@dataclass(frozen=True)
class AccountToken:
    """``request.auth`` for an account token: which token (by digest) and when it ends."""

    digest: str
    expiry: dt.datetime | None


class AccountTokenAuthentication(BaseAuthentication):
    """Account tokens (django-rest-knox): stored only as their SHA-512 digest, expiring.

    Every API call of a signed-in client starts here, so the token and its user are read in
    one statement by the digest (api.fastpaths; knox's own class reads the token, every
    other token of the user, then the user). The answers are knox's: an unknown, revoked or
    expired token, or an inactive user, is a 401.
    """

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, AccountToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Invalid token header.")
        try:
            token = parts[1].decode()
        except UnicodeError as exc:
            raise AuthenticationFailed("Invalid token.") from exc
        if token.startswith(PREFIX):
            return None  # a receipt session, answered by ReceiptTokenAuthentication
        return self.authenticate_credentials(token)

    def authenticate_credentials(self, token: str) -> tuple[AbstractBaseUser, AccountToken]:
        from knox.crypto import hash_token
        from knox.models import AuthToken

        from api import fastpaths

        if len(token) > 200:
            raise AuthenticationFailed("Invalid token.")
        digest = hash_token(token)
        found = fastpaths.token_user(digest=digest)
        if found is None:
            raise AuthenticationFailed("Invalid token.")
        user, expiry = found
        if expiry is not None and expiry <= timezone.now():
            AuthToken.objects.filter(digest=digest).delete()
            raise AuthenticationFailed("Token expired. Sign in again for a new one.")
        if not user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        return user, AccountToken(digest=digest, expiry=expiry)

    def authenticate_header(self, request: Any) -> str:
        return self.keyword
