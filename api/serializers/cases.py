"""What guardians send and see about cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.fields import SlugList, Text
from api.serializers.files import WithFiles
from concerns.models import Route
from workflow.models import (
    EventKind,
    MessageKind,
    ReferralDestination,
    Side,
    Status,
    Upheld,
)
from workflow.selectors import SORTS
from workflow.staff_view import (
    actor_label,
    author_label,
    due_at_for_staff,
    moment_for_staff,
    overdue_for_staff,
    raised_at_for_staff,
)

from .concerns import MAX_MESSAGE, MAX_TEXT


def _staff_times(
    case: Any, zone: dt.tzinfo | None = None
) -> tuple[dt.datetime, dt.datetime | None, dt.datetime]:
    """raised_at, due_at and last_activity_at as staff may see them (workflow.staff_view):
    an anonymous concern's arrival by its date only."""
    route, raised_at = case.route, case.raised_at
    zone = zone or timezone.get_current_timezone()
    return (
        raised_at_for_staff(route=route, raised_at=raised_at, zone=zone),
        due_at_for_staff(route=route, due_kind=case.due_kind, due_at=case.due_at, zone=zone),
        moment_for_staff(route=route, raised_at=raised_at, value=case.last_activity_at, zone=zone),
    )


class StaffMoment(serializers.DateTimeField):
    """raised_at, due_at or last_activity_at of a case as staff may see it (_staff_times)."""

    WHICH = ("raised_at", "due_at", "last_activity_at")

    def __init__(self, which: str, **kwargs: Any) -> None:
        self.which = which
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, case: Any) -> str | None:
        return super().to_representation(_staff_times(case)[self.WHICH.index(self.which)])


def _iso(value: dt.datetime, zone: dt.tzinfo) -> str:
    """What DRF's DateTimeField gives (ISO 8601 in the current zone, "Z" for UTC), without
    its per-call settings lookups: the queue formats three of these per row."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class CaseQueueQuery(serializers.Serializer):
    """The same filters as the guardian queue page."""

    status = serializers.ChoiceField(choices=Status.choices, required=False)
    category = serializers.SlugField(max_length=60, required=False, help_text="Category slug.")
    organisation = serializers.CharField(
        max_length=12, required=False, help_text="Organisation code."
    )
    route = serializers.ChoiceField(choices=Route.choices, required=False)
    assigned = serializers.ChoiceField(choices=["me", "none"], required=False)
    overdue = serializers.BooleanField(required=False, default=False)
    due = serializers.ChoiceField(choices=["soon", "overdue"], required=False)
    sort = serializers.ChoiceField(choices=list(SORTS), required=False, default="newest")


class CaseRowOut(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    route = serializers.ChoiceField(choices=Route.choices)
    organisation = serializers.CharField(source="organisation.code")
    categories = serializers.ListField(
        source="category_slugs", child=serializers.CharField(), help_text="Category slugs."
    )
    assigned_guardian = serializers.CharField(source="assigned_guardian.username", allow_null=True)
    raised_at = StaffMoment("raised_at", help_text="The date only for an anonymous concern.")
    due_kind = serializers.CharField()
    due_at = StaffMoment("due_at", allow_null=True)
    is_overdue = serializers.SerializerMethodField()
    last_activity_at = StaffMoment("last_activity_at")
    version = serializers.IntegerField(help_text="Send back as 'version' to refuse stale changes.")

    @extend_schema_field(serializers.BooleanField())
    def get_is_overdue(self, case: Any) -> bool:
        return overdue_for_staff(route=case.route, due_kind=case.due_kind, due_at=case.due_at)

    def to_representation(self, case: Any) -> dict[str, Any]:
        """The queue's fast path: the same output as the declared fields give (a test holds
        the two together), without DRF's per-field machinery, which was most of the CPU of
        a 50-row page. Subclasses (the case detail) take the general path."""
        if type(self) is not CaseRowOut:
            return super().to_representation(case)
        zone = self.__dict__.get("_zone") or self.__dict__.setdefault(
            "_zone", timezone.get_current_timezone()
        )
        raised_at, due_at, last_activity_at = _staff_times(case, zone)
        guardian = case.assigned_guardian
        return {
            "reference": case.reference,
            "status": case.status,
            "route": case.route,
            "organisation": case.organisation.code,
            "categories": list(case.category_slugs),
            "assigned_guardian": guardian.username if guardian is not None else None,
            "raised_at": _iso(raised_at, zone),
            "due_kind": case.due_kind,
            "due_at": _iso(due_at, zone) if due_at else None,
            "is_overdue": overdue_for_staff(
                route=case.route, due_kind=case.due_kind, due_at=case.due_at, zone=zone
            ),
            "last_activity_at": _iso(last_activity_at, zone),
            "version": case.version,
        }


class OutcomeOut(serializers.Serializer):
    upheld = serializers.ChoiceField(choices=Upheld.choices)
    findings = serializers.CharField()
    actions = serializers.CharField()
    lessons = serializers.CharField()
    recorded_by = serializers.CharField(source="recorded_by.username")
    recorded_at = serializers.DateTimeField()


class CaseDetailOut(CaseRowOut):
    categories = SlugList(source="concern.categories", slug_field="slug")
    description = serializers.CharField(source="concern.description")
    outcome_hoped = serializers.CharField(source="concern.outcome_hoped")
    standards = SlugList(source="concern.standards", slug_field="code")
    department = serializers.CharField(source="concern.department.name", allow_null=True)
    reporter_role = serializers.CharField(source="concern.reporter_role")
    professional_group = serializers.CharField(source="concern.professional_group")
    raised_elsewhere = serializers.CharField(source="concern.raised_elsewhere")
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    first_feedback_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    referral_destination = serializers.CharField()
    outcome = OutcomeOut(allow_null=True, read_only=True)
    available_transitions = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_transitions(self, case: Any) -> list[str]:
        return list(self.context.get("available_transitions", []))


class EventOut(serializers.Serializer):
    """An event of one case (the view passes it as ``context["case"]``)."""

    seq = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EventKind.choices)
    actor = serializers.SerializerMethodField(
        help_text='The staff member\'s username; "Reporter" for the reporter of a '
        "confidential or anonymous concern."
    )
    actor_role = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    note = serializers.CharField()
    created_at = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event: Any) -> str | None:
        actor = event.actor
        return actor_label(
            route=self.context["case"].route,
            actor_role=event.actor_role,
            username=actor.username if actor is not None else None,
        )

    @extend_schema_field(serializers.DateTimeField())
    def get_created_at(self, event: Any) -> str:
        case = self.context["case"]
        at = event.created_at
        if event.kind == EventKind.RAISED or at == case.raised_at:
            at = raised_at_for_staff(route=case.route, raised_at=at)
        else:
            at = moment_for_staff(route=case.route, raised_at=case.raised_at, value=at)
        return serializers.DateTimeField().to_representation(at)


class AssignIn(serializers.Serializer):
    guardian = Text(max_length=150, help_text="The guardian's username.")
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class TransitionIn(serializers.Serializer):
    note = Text(
        max_length=MAX_MESSAGE,
        required=False,
        allow_blank=True,
        help_text="Required as the reason for 'refer' and 'reopen'.",
    )
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    referral_destination = serializers.ChoiceField(
        choices=ReferralDestination.choices, required=False, help_text="For 'refer'."
    )
    referral_name_shared = serializers.BooleanField(
        required=False,
        default=False,
        help_text="For 'refer': whether the reporter's name went with it (never if anonymous).",
    )
    message = Text(
        max_length=MAX_MESSAGE,
        required=False,
        allow_blank=True,
        help_text="Written to the reporter: the feedback itself for 'give_feedback' (required), "
        "an outcome summary for 'close', what to expect for 'refer'.",
    )


class CaseMessageOut(WithFiles):
    """A message of one case (the view passes it as ``context["case"]``)."""

    id = serializers.IntegerField()
    side = serializers.ChoiceField(choices=Side.choices)
    kind = serializers.ChoiceField(choices=MessageKind.choices)
    author = serializers.SerializerMethodField(
        help_text='The guardian\'s username; "Reporter" for the reporter of a confidential '
        "or anonymous concern."
    )
    body = serializers.CharField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_author(self, message: Any) -> str | None:
        author = message.author
        return author_label(
            route=self.context["case"].route,
            side=message.side,
            username=author.username if author is not None else None,
        )


class NoteOut(WithFiles):
    id = serializers.IntegerField()
    author = serializers.CharField(source="author.username")
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class OutcomeIn(serializers.Serializer):
    upheld = serializers.ChoiceField(choices=Upheld.choices)
    findings = Text(max_length=MAX_TEXT)
    actions = Text(max_length=MAX_TEXT, required=False, allow_blank=True)
    lessons = Text(max_length=MAX_TEXT, required=False, allow_blank=True)


class RevealIn(serializers.Serializer):
    reason = Text(max_length=MAX_MESSAGE, help_text="Why you need it; recorded in the case log.")


class RevealOut(serializers.Serializer):
    name = serializers.CharField()
    contact = serializers.CharField()
