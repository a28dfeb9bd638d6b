"""The API reads JSON, and multipart only where a message or note may carry files; a body
that is too large is refused before it is read."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError

from config import rules

# Generous for a concern and its description (a raise's attachments go through the pages).
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
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            # json.loads gives up on very deep nesting with RecursionError, not ValueError.
            raise ParseError("JSON parse error - nested too deeply.") from exc
        try:
            # A lone surrogate ("\ud800") parses, but is not text: it could be neither stored
            # nor echoed back in an error message.
            json.dumps(data, ensure_ascii=False).encode()
        except UnicodeEncodeError as exc:
            raise ParseError("JSON parse error - the text is not valid Unicode.") from exc
        return data


class MultiPartParser(parsers.MultiPartParser):
    """Multipart for the message and note endpoints that take files: refused with a 413
    before reading when the body could not be the files allowed plus a message."""

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: dict | None = None
    ) -> Any:
        request = (parser_context or {}).get("request")
        if request is not None:
            policy = rules.attachments()
            limit = policy.max_files * policy.max_bytes + MAX_BODY_BYTES
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise RequestTooLarge()
        return super().parse(stream, media_type, parser_context)


# The endpoints where a message or note may carry files: JSON, or multipart with "file" parts.
WITH_FILES = (JSONParser, MultiPartParser)
