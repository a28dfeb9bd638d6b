"""Raising a concern, and what a reporter sees of their own."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.fields import Lookup, ManyLookup, SlugList, Text
from api.serializers.files import WithFiles
from concerns.models import Department, ProfessionalGroup, RaisedElsewhere, ReporterRole, Route
from concerns.selectors import (
    categories_active_by_slug,
    category_list,
    organisation_list,
    organisations_active_by_code,
    standard_list,
)
from workflow.errors import InvalidInput
from workflow.models import MessageKind, Side, SpeakUpAgain, Status
from workflow.services import files
from workflow.services.raising import NewAttachment

MAX_TEXT = 20_000
MAX_MESSAGE = 10_000


class ConcernRaiseIn(serializers.Serializer):
    organisation = Lookup(
        slug_field="code",
        queryset=organisation_list().prefetch_related(None),
        find=lambda codes: organisations_active_by_code(codes=codes),
        help_text="The organisation's code.",
    )
    categories = ManyLookup(
        slug_field="slug",
        # The service links the standards they imply in SQL: no need to read them here.
        queryset=category_list().prefetch_related(None),
        find=lambda slugs: categories_active_by_slug(slugs=slugs),
        allow_empty=False,
        max_length=20,
    )
    description = Text(max_length=MAX_TEXT)
    route = serializers.ChoiceField(choices=Route.choices)
    standards = ManyLookup(
        slug_field="code", queryset=standard_list(), required=False, max_length=60
    )
    reporter_role = serializers.ChoiceField(
        choices=ReporterRole.choices, default=ReporterRole.LEARNER
    )
    professional_group = serializers.ChoiceField(
        choices=ProfessionalGroup.choices, default=ProfessionalGroup.NOT_SAID
    )
    raised_elsewhere = serializers.ChoiceField(
        choices=RaisedElsewhere.choices, default=RaisedElsewhere.NOT_SAID
    )
    department = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    outcome_hoped = Text(max_length=MAX_TEXT, required=False, allow_blank=True)
    reporter_name = Text(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Open and confidential only; the account's name if left out.",
    )
    reporter_contact = Text(
        max_length=300,
        required=False,
        allow_blank=True,
        help_text="Open and confidential only: an email address or phone number; the "
        "account's email if left out.",
    )

    def validate_department(self, value: int) -> Department:
        """Only that the department exists: whether it belongs to the organisation is the
        service's rule (workflow.services.raising), as for the page."""
        department = Department.objects.filter(pk=value).first()
        if department is None:
            raise serializers.ValidationError("Choose a department from the list.")
        return department


class ConcernRaisedOut(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    receipt_code = serializers.CharField(
        required=False,
        help_text="Anonymous concerns only, and only in this response: the one way back in.",
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if data.get("receipt_code") is None:
            data.pop("receipt_code", None)
        return data


class ConcernRowOut(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    route = serializers.ChoiceField(choices=Route.choices)
    organisation = serializers.CharField(source="organisation.code")
    organisation_name = serializers.CharField(source="organisation.name")
    raised_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()


class TimelineEntryOut(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField(source="get_kind_display")
    to_state = serializers.CharField()
    at = serializers.DateTimeField(source="created_at")


class SpeakUpAgainOut(serializers.Serializer):
    answer = serializers.ChoiceField(choices=SpeakUpAgain.choices)
    comment = serializers.CharField()
    answered_at = serializers.DateTimeField()


class ConcernDetailOut(ConcernRowOut):
    categories = SlugList(source="concern.categories", slug_field="slug")
    standards = SlugList(source="concern.standards", slug_field="code")
    description = serializers.CharField(source="concern.description")
    outcome_hoped = serializers.CharField(source="concern.outcome_hoped")
    reporter_role = serializers.CharField(source="concern.reporter_role")
    professional_group = serializers.CharField(source="concern.professional_group")
    speak_up_again = SpeakUpAgainOut(allow_null=True, read_only=True)
    timeline = serializers.SerializerMethodField()

    @extend_schema_field(TimelineEntryOut(many=True))
    def get_timeline(self, case: Any) -> list[dict[str, Any]]:
        return TimelineEntryOut(self.context.get("timeline", []), many=True).data


class MessageIn(serializers.Serializer):
    body = Text(max_length=MAX_MESSAGE)


class MessageWithFilesIn(MessageIn):
    """JSON ({"body": ...}) or multipart/form-data (a "body" part and up to five "file" parts)."""

    file = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        default=list,
        help_text="Multipart only: a PDF, an image or an Office document, up to 10 MB each "
        "(at most five). A file whose type, declared type and first bytes disagree is refused.",
    )

    def validate_file(self, uploads: list[Any]) -> list[NewAttachment]:
        try:
            return files.files_check(uploads=uploads)
        except InvalidInput as refusal:
            raise serializers.ValidationError(str(refusal)) from refusal


class ReporterMessageOut(WithFiles):
    id = serializers.IntegerField()
    side = serializers.ChoiceField(choices=Side.choices)
    kind = serializers.ChoiceField(choices=MessageKind.choices)
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class WithdrawIn(serializers.Serializer):
    reason = Text(max_length=MAX_MESSAGE, required=False, allow_blank=True)


class SpeakUpAgainIn(serializers.Serializer):
    answer = serializers.ChoiceField(choices=SpeakUpAgain.choices)
    comment = Text(max_length=MAX_MESSAGE, required=False, allow_blank=True)
