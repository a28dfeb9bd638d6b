from __future__ import annotations

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


class Lookup(serializers.SlugRelatedField):
    """A reference to a row by its code or slug. Only a short, plain string is looked up:
    PostgreSQL refuses a NUL byte with an error, which must be a 400, not a 500."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or "\x00" in data or len(data) > 100:
            self.fail("invalid")
        return super().to_internal_value(data)
