"""Files on messages and notes: what is sent (multipart "file" parts, checked by the same
``files.file_check`` as every upload) and how a file is listed (its neutral name only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workflow.models import CaseFile
from workflow.services import files


class CaseFileOut(serializers.Serializer):
    """A file as listed: the case's reference and its number, never the uploaded name.
    The serializer's context gives ``case`` and ``file_url`` (number -> download path)."""

    number = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    type = serializers.SerializerMethodField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_name(self, file: CaseFile) -> str:
        return files.case_file_name(file, self.context["case"].reference)

    def get_type(self, file: CaseFile) -> str:
        return files.type_name(file.content_type)

    def get_url(self, file: CaseFile) -> str:
        url_for: Callable[[int], str] = self.context["file_url"]
        return url_for(file.number)


class WithFiles(serializers.Serializer):
    """A message or note's ``files`` (the context as for ``CaseFileOut``)."""

    files = serializers.SerializerMethodField()

    @extend_schema_field(CaseFileOut(many=True))
    def get_files(self, owner: Any) -> Any:
        return CaseFileOut(owner.files.all(), many=True, context=self.context).data
