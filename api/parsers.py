"""The API reads JSON only, and refuses a body that is too large before reading it."""

from __future__ import annotations

from typing import Any

from rest_framework import parsers, status
from rest_framework.exceptions import APIException

# Generous for a concern and its description; attachments go through the pages, not here.
MAX_BODY_BYTES = 1024 * 1024


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class JSONParser(parsers.JSONParser):
    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: dict | None = None
    ) -> Any:
        request = (parser_context or {}).get("request")
        if request is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > MAX_BODY_BYTES:
                raise RequestTooLarge()
        return super().parse(stream, media_type, parser_context)
