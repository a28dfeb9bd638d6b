"""OpenAPI pieces drf-spectacular cannot guess: the receipt-token scheme and the JSON error
bodies every operation can answer with."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR = {
    "type": "object",
    "description": 'Either {"detail": "..."} or, for invalid input, a list of messages per field.',
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
# Status codes any operation may answer with, besides those it documents.
_ANY = {
    "400": "Invalid input.",
    "401": "Not signed in, or the token is not valid (or has expired).",
    "403": "Signed in, but not allowed to do this.",
    "404": "Not found, or not yours to see: the same answer either way.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "429": "Too many requests: wait and try again.",
}
_WRITE = {
    "409": "Not possible now (the reason is in 'detail'), or the case changed meanwhile.",
    "413": "The request body is too large.",
    "415": "Send JSON.",
}


class ReceiptTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ReceiptTokenAuthentication"
    name = "receiptToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An anonymous reporter's receipt session: 'Token receipt.…', from "
            "POST /api/v1/anonymous/sessions/.",
        }


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: document the JSON error answers on every operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR
    ref = {"$ref": "#/components/schemas/Error"}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            codes = dict(_ANY)
            if method in {"post", "put", "patch"}:
                codes.update(_WRITE)
            responses = operation.setdefault("responses", {})
            for code, text in codes.items():
                responses.setdefault(
                    code, {"description": text, "content": {"application/json": {"schema": ref}}}
                )
    return result


class AccountTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.AccountTokenAuthentication"
    name = "accountToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An account token: 'Token su_…', from POST /api/v1/auth/token/ "
            "(staff add their MFA code). Stored by Speak Up only as a SHA-512 hash; it expires "
            "after a working day by default (API_TOKEN_HOURS; the answer says when), and ends "
            "at once when revoked (DELETE /api/v1/auth/tokens/{id}/), at sign-out anywhere, "
            "at a password change or when the account is disabled: then a 401.",
        }
