"""Every API error is JSON: our domain errors become 404 / 403 / 409, a refusal to someone
not signed in becomes 401, Django's validation errors 400; DRF handles its own."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from workflow.errors import (
    CaseChanged,
    CaseNotFound,
    InvalidInput,
    NotPermitted,
    TransitionRefused,
)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, CaseNotFound):
        return Response({"detail": str(exc)}, status=404)
    if isinstance(exc, NotPermitted):
        request = context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            exc = exceptions.NotAuthenticated(str(exc))
            exc.auth_header = "Token"  # type: ignore[attr-defined]
        else:
            return Response({"detail": str(exc)}, status=403)
    if isinstance(exc, InvalidInput):  # bad input the serializer could not see: 400, not 409
        return Response({"detail": str(exc)}, status=400)
    if isinstance(exc, TransitionRefused | CaseChanged):
        return Response({"detail": str(exc)}, status=409)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.messages)
    return drf_exception_handler(exc, context)
