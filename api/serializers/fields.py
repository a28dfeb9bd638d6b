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
