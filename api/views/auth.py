"""Signing in: account tokens, and receipt sessions for anonymous reporters.

Both are throttled before anything slow runs: DRF checks the token throttle before the
handler, so a throttled request never reaches the password hasher; receipt codes spend the
budget the receipt page spends too (workflow.receipt_throttle), before the receipt's scrypt.
Passwords are checked through
allauth, so the API shares the sign-in page's failure counts and lockout, per account and
per client; staff also give an MFA code (TOTP or a recovery code).
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from knox.models import AuthToken
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as account_services
from accounts.middleware import has_mfa
from accounts.models import SecurityEvent
from accounts.policies import mfa_required
from api.authentication import AccountToken, AccountTokenAuthentication, receipt_token_issue
from api.serializers.auth import (
    ReceiptSessionIn,
    ReceiptSessionOut,
    TokenIn,
    TokenInfoOut,
    TokenOut,
)
from api.throttles import TokenSignInThrottle
from config import rules
from workflow.receipt_throttle import Verdict, receipt_sign_in

REFUSED = "Unable to sign in with those details."
ID_LENGTH = 16


def _token_id(digest: str) -> str:
    return digest[:ID_LENGTH]


class TokenView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (TokenSignInThrottle,)

    @extend_schema(
        request=TokenIn,
        responses={200: TokenOut},
        tags=["auth"],
        description="A new account token. Staff must have set up two-factor authentication "
        "on the website and give its current code (or a recovery code) as `code`. Failed "
        "attempts count towards the same lockout as the sign-in page (429 while locked).",
    )
    def post(self, request: Request) -> Response:
        given = TokenIn(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        django_request = request._request
        with context.request_context(django_request):
            adapter = get_adapter(django_request)
            try:
                user = adapter.authenticate(
                    django_request, username=data["username"], password=data["password"]
                )
            except ValidationError:
                return Response({"detail": "Too many failed attempts. Try again later."}, 429)
            if user is None or not user.is_active:
                return Response({"detail": REFUSED}, status=400)
            if mfa_required(user) or has_mfa(user):
                refusal = self._check_code(user, data.get("code", ""))
                if refusal is not None:
                    return refusal
        instance, token = account_services.token_issue(user=user)
        out = {
            "token": token,
            "id": _token_id(instance.digest),
            "expiry": instance.expiry,
            "expires_in": int((instance.expiry - timezone.now()).total_seconds()),
        }
        return Response(TokenOut(out).data)

    @staticmethod
    def _check_code(user: object, code: str) -> Response | None:
        if not has_mfa(user):
            return Response(
                {"detail": "Set up two-factor authentication on the website first."}, status=403
            )
        if not code:
            account_services.security_event_record(
                kind=SecurityEvent.Kind.MFA_FAILED, user=user, detail="api, no code"
            )
            return Response({"detail": "Give the current code from your authenticator app."}, 400)
        # allauth's own check: TOTP or an unused recovery code, its rate limit, and its
        # failure signal (which the security log records).
        form = AuthenticateForm(data={"code": code}, user=user)
        if not form.is_valid():
            if "many" in " ".join(form.errors.get("code", [])).lower():
                return Response({"detail": "Too many failed attempts. Try again later."}, 429)
            return Response({"detail": "Give the current code from your authenticator app."}, 400)
        form.authenticator.record_usage()
        return None


class TokenListView(APIView):
    authentication_classes = (AccountTokenAuthentication,)
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: TokenInfoOut(many=True)}, tags=["auth"])
    def get(self, request: Request) -> Response:
        """Your own API tokens that have not expired (never their secret)."""
        current = request.auth.digest if isinstance(request.auth, AccountToken) else ""
        tokens = AuthToken.objects.filter(user=request.user, expiry__gt=timezone.now())
        rows = [
            {
                "id": _token_id(t.digest),
                "created": t.created,
                "expiry": t.expiry,
                "current": t.digest == current,
            }
            for t in tokens.order_by("-created")
        ]
        return Response(TokenInfoOut(rows, many=True).data)


class TokenDetailView(APIView):
    authentication_classes = (AccountTokenAuthentication,)
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        parameters=[OpenApiParameter("token_id", str, OpenApiParameter.PATH)],
        responses={204: None},
        tags=["auth"],
    )
    def delete(self, request: Request, token_id: str) -> Response:
        """Revoke one of your own tokens: it is a 401 from now on. Another account's token
        is a 404, like one that does not exist."""
        if len(token_id) != ID_LENGTH:
            raise NotFound("No such token.")
        token = AuthToken.objects.filter(user=request.user, digest__startswith=token_id).first()
        if token is None:
            raise NotFound("No such token.")
        account_services.token_revoke(token=token, actor=request.user)
        return Response(status=204)


class SignOutView(APIView):
    authentication_classes = (AccountTokenAuthentication,)
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        """Sign out everywhere: every token and session of your account ends, and its open
        live-update sockets close."""
        account_services.account_end_everything(
            user=request.user, kind=SecurityEvent.Kind.SIGN_OUT, actor=request.user
        )
        return Response(status=204)


class ReceiptSessionView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()  # the shared receipt budget, below

    @extend_schema(
        request=ReceiptSessionIn,
        responses={201: ReceiptSessionOut},
        tags=["auth"],
        description="Then read and answer the concern at /api/v1/anonymous/concern/ with the "
        "token: its URLs carry no reference. Receipt codes share one budget with the receipt "
        "page (429 once spent; the right code is still accepted).",
    )
    def post(self, request: Request) -> Response:
        given = ReceiptSessionIn(data=request.data)
        given.is_valid(raise_exception=True)
        check = receipt_sign_in(request._request, code=given.validated_data["receipt_code"])
        if check.verdict is not Verdict.ALLOWED:
            window = 3600 if check.verdict is Verdict.CLIENT_LIMIT else 60
            raise Throttled(
                wait=window, detail="There have been too many attempts to use a receipt code."
            )
        case = check.case
        if case is None:
            # The same answer for a mistyped code, a made-up one and a well-formed wrong one.
            raise NotFound("No concern matches that receipt code.")
        out = {
            "token": receipt_token_issue(case=case),
            "reference": case.reference,
            "expires_in": rules.receipts().session_minutes * 60,
        }
        return Response(ReceiptSessionOut(out).data, status=201)
