"""Anonymous receipt sessions for the API.

An anonymous reporter proves they hold a receipt code once (POST /api/v1/anonymous/sessions/)
and gets a short-lived signed token for that one concern. They send it like any other token,
``Authorization: Token receipt.<signed>``; the prefix tells it apart from DRF's 40-hex-digit
account tokens. Nothing is stored: the token is a signature over the concern id and reference,
with its own salt, that expires after the receipt policy's session length.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import connection
from rest_framework.authentication import (
    BaseAuthentication,
    TokenAuthentication,
    get_authorization_header,
)
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from config import policies
from config.db import columns_of, model_from_row
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
    max_age = dt.timedelta(minutes=policies.receipts().session_minutes)
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


class AccountTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, with the token's user read in one plain statement.

    Every API call of a signed-in client starts here; building DRF's ORM query (a token
    joined to its user, two model instances) cost a tenth of a queue page's CPU. The answers
    are DRF's own: an unknown key or an inactive user is a 401.
    """

    def authenticate_credentials(self, key: str) -> tuple[AbstractBaseUser, Token]:
        users = get_user_model()
        token = Token._meta
        q = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns_of(users, 'u')} FROM {q(users._meta.db_table)} u "  # noqa: S608
                f"JOIN {q(token.db_table)} t "
                f"ON t.{q(token.get_field('user').column)} = u.{q(users._meta.pk.column)} "
                f"WHERE t.{q(token.pk.column)} = %s",
                [key],
            )
            row = cursor.fetchone()
        if row is None:
            raise AuthenticationFailed("Invalid token.")
        user = model_from_row(users, row)
        if not user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        return user, Token(key=key, user=user)
