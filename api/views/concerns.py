"""Raising a concern, and a reporter's own concerns (signed in, or holding a receipt)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import ReceiptSession
from api.pagination import Pagination
from api.permissions import IsReporter
from api.serializers.concerns import (
    ConcernDetailOut,
    ConcernRaisedOut,
    ConcernRaiseIn,
    ConcernRowOut,
    MessageIn,
    ReporterMessageOut,
    SpeakUpAgainIn,
    SpeakUpAgainOut,
    WithdrawIn,
)
from api.throttles import AnonymousRaiseThrottle
from api.views._common import REFERENCE
from concerns.models import Route
from workflow import selectors, services
from workflow.models import Case, EventKind

# What a reporter's timeline shows: what happened to their concern and the conversation,
# never who handles it internally, notes, triage or escalations.
REPORTER_TIMELINE = (
    EventKind.RAISED,
    EventKind.TRANSITION,
    EventKind.MESSAGE_TO_REPORTER,
    EventKind.MESSAGE_FROM_REPORTER,
    EventKind.SPEAK_UP_AGAIN,
)


def _signed_in_user(request: Request) -> AbstractBaseUser | None:
    user = request.user
    return user if isinstance(user, AbstractBaseUser) and user.is_authenticated else None


def _own_concern(request: Request, reference: str) -> Case:
    return selectors.concern_get_for_reporter(actor=request.user, reference=reference)


class ConcernsView(APIView):
    """GET: the caller's concerns. POST: raise one (anonymously without signing in)."""

    pagination_class = Pagination

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "POST" else [IsReporter()]

    def get_throttles(self) -> list[Any]:
        return [AnonymousRaiseThrottle()] if self.request.method == "POST" else []

    @extend_schema(responses=ConcernRowOut(many=True), tags=["reporter"])
    def get(self, request: Request) -> Response:
        if isinstance(request.auth, ReceiptSession):
            rows: Any = [_own_concern(request, request.auth.reference)]
        else:
            rows = selectors.concern_list_for_reporter(user=request.user)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, self)
        return paginator.get_paginated_response(ConcernRowOut(page, many=True).data)

    @extend_schema(
        request=ConcernRaiseIn,
        responses={201: ConcernRaisedOut},
        tags=["reporter"],
        examples=[
            OpenApiExample(
                "Anonymous",
                request_only=True,
                value={
                    "organisation": "RX1",
                    "categories": ["patient-safety"],
                    "standards": ["1.7"],
                    "description": "Learners are left in charge of the ward at night.",
                    "route": "anonymous",
                    "reporter_role": "learner",
                },
            )
        ],
        description="Anyone may raise a concern anonymously; open and confidential concerns "
        "need a signed-in reporter. The receipt code of an anonymous concern is in this "
        "response only.",
    )
    def post(self, request: Request) -> Response:
        given = ConcernRaiseIn(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        reporter = _signed_in_user(request)
        if reporter is not None and data["route"] != Route.ANONYMOUS:
            data["reporter_name"] = reporter.get_full_name() or reporter.get_username()
            data["reporter_contact"] = getattr(reporter, "email", "")
        raised = services.concern_raise(reporter=reporter, **data)
        out = {
            "reference": raised.case.reference,
            "status": raised.case.status,
            "receipt_code": raised.receipt_code,
        }
        return Response(ConcernRaisedOut(out).data, status=201)


class ConcernDetailView(APIView):
    permission_classes = (IsReporter,)

    @extend_schema(parameters=[REFERENCE], responses=ConcernDetailOut, tags=["reporter"])
    def get(self, request: Request, reference: str) -> Response:
        case = _own_concern(request, reference)
        timeline = selectors.case_events(case=case).filter(kind__in=REPORTER_TIMELINE)
        return Response(ConcernDetailOut(case, context={"timeline": timeline}).data)


class ConcernMessagesView(APIView):
    permission_classes = (IsReporter,)

    @extend_schema(
        parameters=[REFERENCE], responses=ReporterMessageOut(many=True), tags=["reporter"]
    )
    def get(self, request: Request, reference: str) -> Response:
        case = _own_concern(request, reference)
        return Response(ReporterMessageOut(selectors.case_messages(case=case), many=True).data)

    @extend_schema(
        parameters=[REFERENCE],
        request=MessageIn,
        responses={201: ReporterMessageOut},
        tags=["reporter"],
    )
    def post(self, request: Request, reference: str) -> Response:
        case = _own_concern(request, reference)
        given = MessageIn(data=request.data)
        given.is_valid(raise_exception=True)
        message = services.concern_message_reply(
            case=case, actor=request.user, body=given.validated_data["body"]
        )
        return Response(ReporterMessageOut(message).data, status=201)


class ConcernWithdrawView(APIView):
    permission_classes = (IsReporter,)

    @extend_schema(
        parameters=[REFERENCE], request=WithdrawIn, responses=ConcernRowOut, tags=["reporter"]
    )
    def post(self, request: Request, reference: str) -> Response:
        case = _own_concern(request, reference)
        given = WithdrawIn(data=request.data)
        given.is_valid(raise_exception=True)
        case = services.case_transition(
            case=case,
            name="withdraw",
            actor=request.user,
            note=given.validated_data.get("reason", ""),
        )
        return Response(ConcernRowOut(case).data)


class ConcernFeedbackView(APIView):
    """The reporter's answer to "would you speak up again?", asked when a case closes."""

    permission_classes = (IsReporter,)

    @extend_schema(
        parameters=[REFERENCE],
        request=SpeakUpAgainIn,
        responses=SpeakUpAgainOut,
        tags=["reporter"],
    )
    def post(self, request: Request, reference: str) -> Response:
        case = _own_concern(request, reference)
        given = SpeakUpAgainIn(data=request.data)
        given.is_valid(raise_exception=True)
        answer = services.concern_speak_up_again_answer(
            case=case,
            actor=request.user,
            answer=given.validated_data["answer"],
            comment=given.validated_data.get("comment", ""),
        )
        return Response(SpeakUpAgainOut(answer).data)
