from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from workflow.errors import CaseChanged, CaseNotFound, NotPermitted, TransitionRefused


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Our domain errors become JSON 404 / 403 / 409; DRF handles its own."""
    if isinstance(exc, CaseNotFound):
        return Response({"detail": str(exc)}, status=404)
    if isinstance(exc, NotPermitted):
        return Response({"detail": str(exc)}, status=403)
    if isinstance(exc, TransitionRefused | CaseChanged):
        return Response({"detail": str(exc)}, status=409)
    return drf_exception_handler(exc, context)
