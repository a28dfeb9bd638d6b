"""The guardian's API: the queue and everything done to a case."""

from __future__ import annotations

from typing import Any

from django.http.response import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import fastpaths
from api.pagination import Pagination
from api.parsers import WITH_FILES
from api.permissions import IsGuardian, IsGuardianOfTheCase
from api.serializers.cases import (
    AssignIn,
    CaseDetailOut,
    CaseMessageOut,
    CaseQueueQuery,
    CaseRowOut,
    EventOut,
    NoteOut,
    OutcomeIn,
    OutcomeOut,
    RevealIn,
    RevealOut,
    TransitionIn,
)
from api.serializers.concerns import MessageIn, MessageWithFilesIn
from api.views._common import REFERENCE
from workflow import selectors
from workflow.models import Case
from workflow.pages.downloads import case_file_response
from workflow.services import handling, transitions

# Withdrawing is the reporter's, through /concerns/{reference}/withdraw/.
GUARDIAN_TRANSITIONS = tuple(t for t in transitions.BY_NAME if t != "withdraw")
TRANSITION = OpenApiParameter(
    "name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(GUARDIAN_TRANSITIONS)
)


def _case(request: Request, reference: str) -> Case:
    return selectors.case_get_for_user(user=request.user, reference=reference)


def _files_context(case: Case) -> dict[str, Any]:
    def url(number: int) -> str:
        return reverse("api:case-file", args=[case.reference, number])

    return {"case": case, "file_url": url}


def _detail(case: Case, request: Request) -> dict[str, Any]:
    available = transitions.case_available_transitions(case=case, actor=request.user)
    context = {"available_transitions": [t for t in available if t in GUARDIAN_TRANSITIONS]}
    return CaseDetailOut(case, context=context).data


class CaseQueueView(APIView):
    permission_classes = (IsGuardian,)
    pagination_class = Pagination

    @extend_schema(parameters=[CaseQueueQuery], responses=CaseRowOut(many=True), tags=["cases"])
    def get(self, request: Request) -> Response:
        query = CaseQueueQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        filters = selectors.QueueFilters(
            status=q.get("status", ""),
            category=q.get("category", ""),
            organisation=q.get("organisation", ""),
            route=q.get("route", ""),
            assigned=q.get("assigned", ""),
            due="overdue" if q["overdue"] else q.get("due", ""),
            sort=q["sort"],
        )
        paginator = self.pagination_class()
        offset, limit = paginator.window(request)
        values = fastpaths.queue_values(
            user=request.user, filters=filters, offset=offset, limit=limit
        )
        page = fastpaths.queue_rows(paginator.page_of(values))
        return paginator.get_paginated_response(CaseRowOut(page, many=True).data)


class CaseDetailView(APIView):
    permission_classes = (IsGuardianOfTheCase,)

    @extend_schema(parameters=[REFERENCE], responses=CaseDetailOut, tags=["cases"])
    def get(self, request: Request, reference: str) -> Response:
        return Response(_detail(_case(request, reference), request))


class CaseEventsView(APIView):
    permission_classes = (IsGuardianOfTheCase,)

    @extend_schema(parameters=[REFERENCE], responses=EventOut(many=True), tags=["cases"])
    def get(self, request: Request, reference: str) -> Response:
        case = _case(request, reference)
        events = selectors.case_events(case=case)
        return Response(EventOut(events, many=True, context={"case": case}).data)


class CaseAssignView(APIView):
    """Lead guardians assign anyone serving the organisation; a guardian may take an
    unassigned case for themselves (workflow.policies.may_assign decides)."""

    permission_classes = (IsGuardianOfTheCase,)

    @extend_schema(
        parameters=[REFERENCE], request=AssignIn, responses=CaseDetailOut, tags=["cases"]
    )
    def post(self, request: Request, reference: str) -> Response:
        case = _case(request, reference)
        given = AssignIn(data=request.data)
        given.is_valid(raise_exception=True)
        username = given.validated_data["guardian"]
        guardian = selectors.guardians_for_case(case=case).filter(username=username).first()
        if guardian is None:
            raise ValidationError({"guardian": ["No guardian of this organisation has that name."]})
        case = handling.case_assign(
            case=case,
            guardian=guardian,
            actor=request.user,
            expected_version=given.validated_data.get("version"),
        )
        return Response(_detail(case, request))


class CaseTransitionView(APIView):
    permission_classes = (IsGuardianOfTheCase,)

    @extend_schema(
        parameters=[REFERENCE, TRANSITION],
        request=TransitionIn,
        responses=CaseDetailOut,
        tags=["cases"],
        description="200 with the case in its new status; 409 with the reason when the "
        "action is not possible now, or when 'version' is stale.",
    )
    def post(self, request: Request, reference: str, name: str) -> Response:
        if name not in GUARDIAN_TRANSITIONS:
            raise NotFound("There is no such action.")
        case = _case(request, reference)
        given = TransitionIn(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        case = transitions.case_transition_named(
            case=case,
            name=name,
            actor=request.user,
            given=transitions.TransitionInput(
                note=data.get("note", ""),
                message=data.get("message", ""),
                destination=data.get("referral_destination", ""),
                name_shared=data.get("referral_name_shared", False),
                expected_version=data.get("version"),
            ),
        )
        return Response(_detail(case, request))


class CaseMessagesView(APIView):
    permission_classes = (IsGuardianOfTheCase,)

    parser_classes = WITH_FILES

    @extend_schema(parameters=[REFERENCE], responses=CaseMessageOut(many=True), tags=["cases"])
    def get(self, request: Request, reference: str) -> Response:
        case = _case(request, reference)
        messages = selectors.case_messages(case=case)
        return Response(CaseMessageOut(messages, many=True, context=_files_context(case)).data)

    @extend_schema(
        parameters=[REFERENCE],
        request={"application/json": MessageIn, "multipart/form-data": MessageWithFilesIn},
        responses={201: CaseMessageOut},
        tags=["cases"],
        description='Files (multipart "file" parts) are the reporter\'s to download.',
    )
    def post(self, request: Request, reference: str) -> Response:
        case = _case(request, reference)
        given = MessageWithFilesIn(data=request.data)
        given.is_valid(raise_exception=True)
        message = handling.case_message_send(
            case=case,
            actor=request.user,
            body=given.validated_data["body"],
            files=given.validated_data["file"],
        )
        return Response(CaseMessageOut(message, context=_files_context(case)).data, status=201)


class CaseNotesView(APIView):
    permission_classes = (IsGuardianOfTheCase,)

    parser_classes = WITH_FILES

    @extend_schema(parameters=[REFERENCE], responses=NoteOut(many=True), tags=["cases"])
    def get(self, request: Request, reference: str) -> Response:
        case = _case(request, reference)
        notes = selectors.case_notes(case=case)
        return Response(NoteOut(notes, many=True, context=_files_context(case)).data)

    @extend_schema(
        parameters=[REFERENCE],
        request={"application/json": MessageIn, "multipart/form-data": MessageWithFilesIn},
        responses={201: NoteOut},
        tags=["cases"],
        description="Files on a note, like the note, are for staff only.",
    )
    def post(self, request: Request, reference: str) -> Response:
        case = _case(request, reference)
        given = MessageWithFilesIn(data=request.data)
        given.is_valid(raise_exception=True)
        note = handling.case_note_add(
            case=case,
            actor=request.user,
            body=given.validated_data["body"],
            files=given.validated_data["file"],
        )
        return Response(NoteOut(note, context=_files_context(case)).data, status=201)


class CaseFileView(APIView):
    """A file of the case, on a message or a note: the bytes as a download named after the
    case and the file's number."""

    permission_classes = (IsGuardianOfTheCase,)

    @extend_schema(
        parameters=[REFERENCE],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        tags=["cases"],
    )
    def get(self, request: Request, reference: str, number: int) -> HttpResponseBase:
        case = _case(request, reference)
        return case_file_response(case, selectors.case_file_for_staff(case=case, number=number))


class CaseOutcomeView(APIView):
    permission_classes = (IsGuardianOfTheCase,)

    @extend_schema(parameters=[REFERENCE], request=OutcomeIn, responses=OutcomeOut, tags=["cases"])
    def post(self, request: Request, reference: str) -> Response:
        case = _case(request, reference)
        given = OutcomeIn(data=request.data)
        given.is_valid(raise_exception=True)
        outcome = handling.case_outcome_record(
            case=case, actor=request.user, **given.validated_data
        )
        return Response(OutcomeOut(outcome).data)


class CaseIdentityRevealView(APIView):
    """The one answer that names a confidential reporter: to the assigned guardian or a lead
    guardian, given a reason, which the case log records (as the case page's reveal)."""

    permission_classes = (IsGuardianOfTheCase,)

    @extend_schema(parameters=[REFERENCE], request=RevealIn, responses=RevealOut, tags=["cases"])
    def post(self, request: Request, reference: str) -> Response:
        case = _case(request, reference)
        given = RevealIn(data=request.data)
        given.is_valid(raise_exception=True)
        revealed = handling.case_identity_reveal(
            case=case, actor=request.user, reason=given.validated_data["reason"]
        )
        return Response(RevealOut(revealed).data)
