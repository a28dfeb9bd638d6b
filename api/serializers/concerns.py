"""Raising a concern, and what a reporter sees of their own."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.fields import Lookup, ManyLookup, SlugList, Text
from concerns.models import ProfessionalGroup, RaisedElsewhere, ReporterRole, Route
from concerns.selectors import (
    categories_active_by_slug,
    category_list,
    organisation_list,
    organisations_active_by_code,
    standard_list,
)
from workflow.models import MessageKind, Side, SpeakUpAgain, Status

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

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        department_id = attrs.pop("department", None)
        if department_id is not None:
            department = attrs["organisation"].departments.filter(pk=department_id).first()
            if department is None:
                raise serializers.ValidationError(
                    {"department": ["That department is not part of the organisation chosen."]}
                )
            attrs["department"] = department
        return attrs


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


class ReporterMessageOut(serializers.Serializer):
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
