"""Signing in: account tokens, and receipt sessions for anonymous reporters.

Both are throttled, and DRF checks throttles before the handler runs: a throttled request
never reaches the password hasher or the receipt's scrypt.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import receipt_token_issue
from api.serializers.auth import ReceiptSessionIn, ReceiptSessionOut, TokenIn, TokenOut
from api.throttles import ReceiptClientThrottle, ReceiptGlobalThrottle, TokenSignInThrottle
from config import policies
from workflow import selectors


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
    throttle_classes = (ReceiptClientThrottle, ReceiptGlobalThrottle)

    @extend_schema(request=ReceiptSessionIn, responses={201: ReceiptSessionOut}, tags=["auth"])
    def post(self, request: Request) -> Response:
        given = ReceiptSessionIn(data=request.data)
        given.is_valid(raise_exception=True)
        case = selectors.case_for_receipt(code=given.validated_data["receipt_code"])
        if case is None:
            # The same answer for a mistyped code, a made-up one and a well-formed wrong one.
            raise NotFound("No concern matches that receipt code.")
        out = {
            "token": receipt_token_issue(case=case),
            "reference": case.reference,
            "expires_in": policies.receipts().session_minutes * 60,
        }
        return Response(ReceiptSessionOut(out).data, status=201)
