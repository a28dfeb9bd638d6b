"""Page-number pagination without COUNT(*): fetch one row more than the page to know whether
there is a next page. A queue of many thousands of cases costs the same as a short one."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

# Beyond this a client is scanning, not paging; it also keeps OFFSET well inside bigint.
MAX_PAGE = 100_000


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


class Pagination(BasePagination):
    page_size = 50
    max_page_size = 200

    def window(self, request: Request) -> tuple[int, int]:
        """The offset and row count to read for the page asked for: one row more than the
        page, to know whether there is a next."""
        self.request = request
        self.page = min(max(1, _int(request.query_params.get("page"), 1)), MAX_PAGE)
        size = _int(request.query_params.get("page_size"), self.page_size)
        self.size = min(max(1, size), self.max_page_size)
        return (self.page - 1) * self.size, self.size + 1

    def page_of(self, rows: list[Any]) -> list[Any]:
        """The page's rows, of those read for ``window``."""
        self.has_next = len(rows) > self.size
        return rows[: self.size]

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any]:
        offset, limit = self.window(request)
        return self.page_of(list(queryset[offset : offset + limit]))

    def _link(self, page: int) -> str:
        return replace_query_param(self.request.build_absolute_uri(), "page", page)

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response(
            {
                "next": self._link(self.page + 1) if self.has_next else None,
                "previous": self._link(self.page - 1) if self.page > 1 else None,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        return [
            {
                "name": "page",
                "required": False,
                "in": "query",
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}, at most "
                f"{self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
