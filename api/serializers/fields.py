from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import serializers


class SlugList(serializers.ListField):
    """Read-only: a related manager shown as a list of one attribute (slug, code...)."""

    def __init__(self, slug_field: str, **kwargs: Any) -> None:
        self.slug_field = slug_field
        super().__init__(child=serializers.CharField(), read_only=True, **kwargs)

    def to_representation(self, data: Any) -> list[str]:
        return [getattr(obj, self.slug_field) for obj in data.all()]


class Text(serializers.CharField):
    """Text input that must be sent as a JSON string (DRF would turn 123 into "123")."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


Find = Callable[[list[str]], dict[str, Any]]


class Lookup(serializers.SlugRelatedField):
    """A reference to a row by its code or slug. Only a short, plain string is looked up:
    PostgreSQL refuses a NUL byte with an error, which must be a 400, not a 500.

    ``find`` (values -> rows by value) looks rows up instead of the queryset, which then
    only describes the field; it must find what the queryset holds (a fast path: see
    concerns.fastpaths.active_by, held to the queryset's rows by its test)."""

    def __init__(self, *, find: Find | None = None, **kwargs: Any) -> None:
        self.find = find
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or "\x00" in data or len(data) > 100:
            self.fail("invalid")
        if self.find is None:
            return super().to_internal_value(data)
        found = self.find([data]).get(data)
        if found is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return found


class ManyLookup(serializers.ListField):
    """A list of codes or slugs, looked up in one query (DRF's many=True asks once per item).
    Unknown ones are named in the error; the queryset's prefetches apply to all rows."""

    default_error_messages = {"unknown": "Unknown: {values}."}

    def __init__(
        self, *, slug_field: str, queryset: Any, find: Find | None = None, **kwargs: Any
    ) -> None:
        self.slug_field, self.queryset, self.find = slug_field, queryset, find
        super().__init__(child=Text(max_length=100), **kwargs)

    def to_internal_value(self, data: Any) -> list[Any]:
        values = list(dict.fromkeys(super().to_internal_value(data)))
        found = (
            self.find(values)
            if self.find is not None
            else {
                getattr(obj, self.slug_field): obj
                for obj in self.queryset.filter(**{f"{self.slug_field}__in": values})
            }
        )
        missing = [v for v in values if v not in found]
        if missing:
            self.fail("unknown", values=", ".join(missing))
        return [found[v] for v in values]
