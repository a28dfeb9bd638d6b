"""Raising a concern, and a reporter's own concerns (signed in, or holding a receipt).

A signed-in reporter names their concern by reference (/concerns/{reference}/...). A receipt
holder's routes carry no reference at all (/anonymous/concern/...): the receipt session says
which concern, so no URL, log line or proxy ever ties an address to an anonymous concern. A
receipt session on a reference route is answered as if that concern did not exist.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http.response import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import ReceiptSession
from api.pagination import Pagination
from api.parsers import WITH_FILES
from api.permissions import IsReceiptHolder, IsReporter
from api.serializers.concerns import (
    ConcernDetailOut,
    ConcernRaisedOut,
    ConcernRaiseIn,
    ConcernRowOut,
    MessageIn,
    MessageWithFilesIn,
    ReporterMessageOut,
    SpeakUpAgainIn,
    SpeakUpAgainOut,
    WithdrawIn,
)
from api.throttles import AnonymousRaiseThrottle
from api.views._common import REFERENCE
from concerns.models import Route
from workflow import selectors
from workflow.errors import CaseNotFound, InvalidInput
from workflow.models import Case, EventKind
from workflow.pages.downloads import case_file_response
from workflow.policies import ReceiptHolder
from workflow.services import raising, transitions
from workflow.services import reporter as reporter_actions

RECEIPT_ROUTES = "Concern not found. With a receipt session, use /api/v1/anonymous/concern/."

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


def _own_concern(request: Request, reference: str | None) -> Case:
    """The caller's concern: by reference for a signed-in reporter, by the session for a
    receipt holder (who may not name one in the URL)."""
    if isinstance(request.auth, ReceiptSession):
        if reference is not None:
            raise CaseNotFound(RECEIPT_ROUTES)
        holder = ReceiptHolder(concern_id=request.auth.concern_id)
        return selectors.concern_get_for_receipt_holder(holder=holder)
    if reference is None:
        raise CaseNotFound("Concern not found.")
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
            rows: Any = [_own_concern(request, None)]
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
        "need a signed-in reporter, a name and a contact (reporter_name and reporter_contact "
        "default to the account's name and email). The receipt code of an anonymous concern "
        "is in this response only.",
    )
    def post(self, request: Request) -> Response:
        given = ConcernRaiseIn(data=request.data)
        given.is_valid(raise_exception=True)
        reporter = _signed_in_user(request)
        data = _with_account_details(dict(given.validated_data), reporter)
        try:
            raised = raising.concern_raise(concern=raising.NewConcern(**data), reporter=reporter)
        except InvalidInput as refusal:
            raise ValidationError(
                {field or "non_field_errors": [text] for field, text in refusal.problems.items()}
            ) from refusal
        out = {
            "reference": raised.case.reference,
            "status": raised.case.status,
            "receipt_code": raised.receipt_code,
        }
        return Response(ConcernRaisedOut(out).data, status=201)


def _with_account_details(
    data: dict[str, Any], reporter: AbstractBaseUser | None
) -> dict[str, Any]:
    """An open or confidential concern needs the reporter's name and a contact (the service
    refuses it without). Through the API they may be left out: they default, here and only
    here, to the account's name and email, as the page prefills its form with them. An
    account without an email must give a contact."""
    if reporter is None or data["route"] == Route.ANONYMOUS:
        return data
    full_name = getattr(reporter, "get_full_name", lambda: "")()
    data.setdefault("reporter_name", full_name or reporter.get_username())
    data.setdefault("reporter_contact", getattr(reporter, "email", ""))
    return data


# Each action once, for both kinds of route below.


def _detail(request: Request, reference: str | None) -> Response:
    case = _own_concern(request, reference)
    timeline = selectors.case_events(case=case).filter(kind__in=REPORTER_TIMELINE)
    return Response(ConcernDetailOut(case, context={"timeline": timeline}).data)


def _files_context(case: Case, reference: str | None) -> dict[str, Any]:
    """Download paths as the caller must use them: a receipt holder's carry no reference."""

    def url(number: int) -> str:
        if reference is None:
            return reverse("api:receipt-concern-file", args=[number])
        return reverse("api:concern-file", args=[reference, number])

    return {"case": case, "file_url": url}


def _messages(request: Request, reference: str | None) -> Response:
    case = _own_concern(request, reference)
    messages = selectors.case_messages(case=case)
    context = _files_context(case, reference)
    return Response(ReporterMessageOut(messages, many=True, context=context).data)


def _reply(request: Request, reference: str | None) -> Response:
    case = _own_concern(request, reference)
    given = MessageWithFilesIn(data=request.data)
    given.is_valid(raise_exception=True)
    message = reporter_actions.concern_message_reply(
        case=case,
        actor=request.user,
        body=given.validated_data["body"],
        files=given.validated_data["file"],
    )
    context = _files_context(case, reference)
    return Response(ReporterMessageOut(message, context=context).data, status=201)


def _file(request: Request, reference: str | None, number: int) -> HttpResponseBase:
    """A file of the reporter's conversation; one on an internal note does not exist here."""
    case = _own_concern(request, reference)
    return case_file_response(case, selectors.case_file_for_reporter(case=case, number=number))


FILE_SCHEMA = {
    "responses": {(200, "application/octet-stream"): OpenApiTypes.BINARY},
    "description": "A file of the conversation (either side's), as a download named after the "
    "concern and the file's number.",
}
REPLY_REQUEST = {"application/json": MessageIn, "multipart/form-data": MessageWithFilesIn}


def _withdraw(request: Request, reference: str | None) -> Response:
    case = _own_concern(request, reference)
    given = WithdrawIn(data=request.data)
    given.is_valid(raise_exception=True)
    case = transitions.case_withdraw(
        case=case, actor=request.user, reason=given.validated_data.get("reason", "")
    )
    return Response(ConcernRowOut(case).data)


def _feedback(request: Request, reference: str | None) -> Response:
    case = _own_concern(request, reference)
    given = SpeakUpAgainIn(data=request.data)
    given.is_valid(raise_exception=True)
    answer = reporter_actions.concern_speak_up_again_answer(
        case=case,
        actor=request.user,
        answer=given.validated_data["answer"],
        comment=given.validated_data.get("comment", ""),
    )
    return Response(SpeakUpAgainOut(answer).data)


# --- a signed-in reporter's concern, by reference -----------------------------------------


class ConcernDetailView(APIView):
    permission_classes = (IsReporter,)

    @extend_schema(parameters=[REFERENCE], responses=ConcernDetailOut, tags=["reporter"])
    def get(self, request: Request, reference: str) -> Response:
        return _detail(request, reference)


class ConcernMessagesView(APIView):
    permission_classes = (IsReporter,)

    @extend_schema(
        parameters=[REFERENCE], responses=ReporterMessageOut(many=True), tags=["reporter"]
    )
    def get(self, request: Request, reference: str) -> Response:
        return _messages(request, reference)

    parser_classes = WITH_FILES

    @extend_schema(
        parameters=[REFERENCE],
        request=REPLY_REQUEST,
        responses={201: ReporterMessageOut},
        tags=["reporter"],
    )
    def post(self, request: Request, reference: str) -> Response:
        return _reply(request, reference)


class ConcernFileView(APIView):
    permission_classes = (IsReporter,)

    @extend_schema(parameters=[REFERENCE], tags=["reporter"], **FILE_SCHEMA)
    def get(self, request: Request, reference: str, number: int) -> HttpResponseBase:
        return _file(request, reference, number)


class ConcernWithdrawView(APIView):
    permission_classes = (IsReporter,)

    @extend_schema(
        parameters=[REFERENCE], request=WithdrawIn, responses=ConcernRowOut, tags=["reporter"]
    )
    def post(self, request: Request, reference: str) -> Response:
        return _withdraw(request, reference)


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
        return _feedback(request, reference)


# --- a receipt holder's concern, by the session ---------------------------------------------


class ReceiptConcernView(APIView):
    permission_classes = (IsReceiptHolder,)

    @extend_schema(responses=ConcernDetailOut, tags=["anonymous"])
    def get(self, request: Request) -> Response:
        return _detail(request, None)


class ReceiptMessagesView(APIView):
    permission_classes = (IsReceiptHolder,)

    @extend_schema(responses=ReporterMessageOut(many=True), tags=["anonymous"])
    def get(self, request: Request) -> Response:
        return _messages(request, None)

    parser_classes = WITH_FILES

    @extend_schema(request=REPLY_REQUEST, responses={201: ReporterMessageOut}, tags=["anonymous"])
    def post(self, request: Request) -> Response:
        return _reply(request, None)


class ReceiptFileView(APIView):
    permission_classes = (IsReceiptHolder,)

    @extend_schema(tags=["anonymous"], **FILE_SCHEMA)
    def get(self, request: Request, number: int) -> HttpResponseBase:
        return _file(request, None, number)


class ReceiptWithdrawView(APIView):
    permission_classes = (IsReceiptHolder,)

    @extend_schema(request=WithdrawIn, responses=ConcernRowOut, tags=["anonymous"])
    def post(self, request: Request) -> Response:
        return _withdraw(request, None)


class ReceiptFeedbackView(APIView):
    permission_classes = (IsReceiptHolder,)

    @extend_schema(request=SpeakUpAgainIn, responses=SpeakUpAgainOut, tags=["anonymous"])
    def post(self, request: Request) -> Response:
        return _feedback(request, None)
