"""Browsable API documentation that loads nothing from elsewhere.

Swagger UI and Redoc need JavaScript from a CDN (the sidecar package that would serve them
locally is not installed), and our Content-Security-Policy allows scripts from 'self' only.
Rather than relax that policy, this page renders the same OpenAPI document on the server:
every operation with its parameters, request body and answers, and every schema's fields.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.generators import SchemaGenerator

_METHODS = ("get", "post", "put", "patch", "delete")


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list of {_name(schema.get('items', {}))}"
    return schema.get("type", "object")


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    ops = []
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            if method not in item:
                continue
            op = item[method]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ops.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "anchor": op.get("operationId", ""),
                    "tags": op.get("tags", []),
                    "description": op.get("description", ""),
                    "parameters": op.get("parameters", []),
                    "request": _name(body["schema"]) if body.get("schema") else "",
                    "responses": [
                        {
                            "code": code,
                            "description": r.get("description", ""),
                            "schema": _name(
                                r.get("content", {}).get("application/json", {}).get("schema", {})
                            )
                            if r.get("content")
                            else "",
                        }
                        for code, r in op.get("responses", {}).items()
                    ],
                }
            )
    return ops


def _components(schema: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, component in sorted(schema.get("components", {}).get("schemas", {}).items()):
        required = set(component.get("required", []))
        fields = [
            {
                "name": field,
                "type": _name(spec) if "$ref" in spec or spec.get("type") else "value",
                "required": field in required,
                "enum": spec.get("enum", []),
                "description": spec.get("description", ""),
            }
            for field, spec in component.get("properties", {}).items()
        ]
        out.append(
            {"name": name, "fields": fields, "description": component.get("description", "")}
        )
    return out


@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    schema = _schema()
    context = {
        "info": schema.get("info", {}),
        "operations": _operations(schema),
        "components": _components(schema),
    }
    return render(request, "api/docs.html", context)
