from collections import OrderedDict

from rest_framework.pagination import BasePagination
from rest_framework.response import Response


class Pagination(BasePagination):
    """Page-number pagination without COUNT(*): fetch one row more than the page to know
    whether there is a next page."""

    page_size = 50
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):  # type: ignore[no-untyped-def]
        self.request = request
        try:
            self.page = max(1, int(request.query_params.get("page", 1)))
            size = int(request.query_params.get("page_size", self.page_size))
        except ValueError:
            self.page, size = 1, self.page_size
        self.size = min(max(1, size), self.max_page_size)
        start = (self.page - 1) * self.size
        rows = list(queryset[start : start + self.size + 1])
        self.has_next = len(rows) > self.size
        return rows[: self.size]

    def _link(self, page: int) -> str:
        url = self.request.build_absolute_uri()
        from rest_framework.utils.urls import replace_query_param

        return replace_query_param(url, "page", page)

    def get_paginated_response(self, data):  # type: ignore[no-untyped-def]
        return Response(
            OrderedDict(
                [
                    ("next", self._link(self.page + 1) if self.has_next else None),
                    ("previous", self._link(self.page - 1) if self.page > 1 else None),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema):  # type: ignore[no-untyped-def]
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }
