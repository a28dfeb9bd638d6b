"""Signing in: account tokens, and receipt sessions for anonymous reporters.

Both are throttled before anything slow runs: DRF checks the token throttle before the
handler, so a throttled request never reaches the password hasher; receipt codes spend the
budget the receipt page spends too (workflow.receipt_throttle), before the receipt's scrypt.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import receipt_token_issue
from api.serializers.auth import ReceiptSessionIn, ReceiptSessionOut, TokenIn, TokenOut
from api.throttles import TokenSignInThrottle
from config import policies
from workflow.receipt_throttle import Verdict, receipt_sign_in


class TokenView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (TokenSignInThrottle,)

    @extend_schema(request=TokenIn, responses={200: TokenOut}, tags=["auth"])
    def post(self, request: Request) -> Response:
        given = TokenIn(data=request.data)
        given.is_valid(raise_exception=True)
        user = authenticate(request._request, **given.validated_data)
        if user is None:
            return Response({"detail": "Unable to sign in with those details."}, status=400)
        token, _ = Token.objects.get_or_create(user=user)
        return Response(TokenOut({"token": token.key}).data)


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
            "expires_in": policies.receipts().session_minutes * 60,
        }
        return Response(ReceiptSessionOut(out).data, status=201)
