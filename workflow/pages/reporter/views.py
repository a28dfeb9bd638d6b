"""The reporter's pages: start, raise a concern, receipt, coming back, and the conversation.

Thin views: parse input with a form, call a service or selector, render or redirect. Nothing
that identifies a reporter goes into a URL, a log line or (for anonymous reporters) the
database: the receipt code is held, encrypted, in the session for one display only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from cryptography.fernet import InvalidToken
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST, require_safe

from concerns.crypto import encrypt_bytes, fernet
from concerns.models import Route
from concerns.receipts import receipt_normalise
from config import rules
from workflow import policies, selectors
from workflow.errors import CaseError, CaseNotFound, InvalidInput, NotPermitted
from workflow.models import Case, MessageKind, Status
from workflow.pages.downloads import attachment_response, case_file_response
from workflow.pages.forms import attached
from workflow.pages.reporter import journey
from workflow.pages.reporter.forms import (
    DetrimentReportForm,
    RaiseConcernForm,
    ReceiptForm,
    ReplyForm,
    SpeakUpAgainForm,
    WithdrawForm,
)
from workflow.policies import Actor, ReceiptHolder
from workflow.receipt_throttle import Verdict, anonymous_raise_allowed, receipt_sign_in
from workflow.services import raising, transitions
from workflow.services import reporter as reporter_actions
from workflow.socket_tokens import socket_path_for
from workflow.standing import concern_standing

RECEIPT_ONCE = journey.RECEIPT_ONCE  # encrypted code + reference, for one display
HOLDER = policies.RECEIPT_SESSION_KEY
RECEIPT_DISPLAY_SECONDS = 15 * 60


# --- Start and raising --------------------------------------------------------------------


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "workflow/start.html", {"timeliness": rules.timeliness()})


TOO_MANY_ANONYMOUS = journey.TOO_MANY_ANONYMOUS


@sensitive_post_parameters()
def raise_concern(request: HttpRequest) -> HttpResponse:
    """GET: the raise journey's first question. POST: the whole concern on one form, for
    clients that send every field at once (no-JavaScript scripts, older links)."""
    if request.method != "POST":
        return journey.raise_start(request)
    form = RaiseConcernForm(request.POST, request.FILES, user=request.user)
    status = 200
    if (
        form.is_valid()
        and form.cleaned_data["route"] == Route.ANONYMOUS
        and not anonymous_raise_allowed(request)
    ):
        form.add_error(None, TOO_MANY_ANONYMOUS)
        status = 429
    if form.is_valid():
        try:
            raised = raising.concern_raise(concern=form.new_concern(), reporter=request.user)
        except NotPermitted as error:  # an open or confidential route, not signed in
            form.add_error("route", str(error))
        except InvalidInput as error:
            form.add_refusal(error)
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            if raised.receipt_code:
                secret = f"{raised.receipt_code}|{raised.concern.reference}".encode()
                request.session[RECEIPT_ONCE] = encrypt_bytes(secret).decode("ascii")
                return redirect("raise_receipt")
            return redirect("raise_sent", reference=raised.concern.reference)
    return render(
        request,
        "workflow/reporter/raise.html",
        {
            "form": form,
            "login_next": f"{reverse('login')}?next={reverse('raise')}",
            "timeliness": rules.timeliness(),
        },
        status=status,
    )


@sensitive_post_parameters("code")
def raise_receipt(request: HttpRequest) -> HttpResponse:
    """Shows the receipt code once: it leaves the session as it is read.

    The page posts the code back to itself (in the body, never a URL) for the two things it
    offers next: a small text file to download, and "I have saved it" before moving on. The
    server keeps nothing: a code posted here is only echoed back to whoever sent it.
    """
    if request.method == "POST":
        return _receipt_keep(request)
    token = request.session.pop(RECEIPT_ONCE, None)
    code = reference = None
    if token:
        try:
            plain = fernet().decrypt(token.encode("ascii"), ttl=RECEIPT_DISPLAY_SECONDS)
            code, reference = plain.decode().split("|", 1)
        except (InvalidToken, ValueError):
            code = reference = None
    return _receipt_page(request, code, reference)


def _receipt_page(
    request: HttpRequest, code: str | None, reference: str | None, error: str = ""
) -> HttpResponse:
    return render(
        request,
        "workflow/reporter/receipt_shown.html",
        {
            "code": code,
            "reference": reference,
            "saved_error": error,
            "timeliness": rules.timeliness(),
        },
        status=400 if error else 200,
    )


RECEIPT_FILE = """Speak Up: your receipt code

{code}

Go to {url} and enter this code to read the guardian's replies and answer them.
Keep it private: anyone with the code can read your conversation with the guardian.
"""


def _receipt_keep(request: HttpRequest) -> HttpResponse:
    normalised = receipt_normalise(request.POST.get("code", ""))
    if normalised is None:
        return _receipt_page(request, None, None)
    group = rules.receipts().group
    code = "-".join(normalised[i : i + group] for i in range(0, len(normalised), group))
    if request.POST.get("action") == "download":
        url = request.build_absolute_uri(reverse("receipt"))
        response = HttpResponse(
            RECEIPT_FILE.format(code=code, url=url), content_type="text/plain; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="speak-up-receipt.txt"'
        return response
    if request.POST.get("saved") != "yes":
        return _receipt_page(
            request, code, None, error="Confirm that you have saved your receipt code"
        )
    messages.success(
        request, "Thank you. Come back with your receipt code to read the guardian's replies."
    )
    return redirect("receipt")


@login_required
def raise_sent(request: HttpRequest, reference: str) -> HttpResponse:
    case = _get_or_404(
        lambda: selectors.concern_get_for_reporter(actor=request.user, reference=reference)
    )
    return render(
        request,
        "workflow/reporter/sent.html",
        {"case": case, "timeliness": rules.timeliness()},
    )


# --- Coming back with a receipt -------------------------------------------------------------


@sensitive_post_parameters("code")
def receipt_enter(request: HttpRequest) -> HttpResponse:
    form = ReceiptForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        check = receipt_sign_in(request, code=form.cleaned_data["code"])
        if check.case is not None:
            return _receipt_sign_in(request, check.case)
        if check.verdict is Verdict.ALLOWED:
            form.add_error(
                "code",
                "We could not find a concern with that receipt code. Check the code and try again.",
            )
        else:
            status = 429
            form.add_error(
                None,
                "There have been too many attempts to use a receipt code. "
                "Wait an hour, then try again.",
            )
    context = {"form": form, "session_minutes": rules.receipts().session_minutes}
    return render(request, "workflow/reporter/receipt_enter.html", context, status=status)


def _receipt_sign_in(request: HttpRequest, case: Case) -> HttpResponse:
    minutes = rules.receipts().session_minutes
    request.session.cycle_key()  # a new session id, so a planted one cannot ride along
    request.session[HOLDER] = {"concern": case.concern_id, "until": time.time() + minutes * 60}
    if not request.user.is_authenticated:
        request.session.set_expiry(minutes * 60)
    return redirect("receipt_concern")


@require_POST
def receipt_sign_out(request: HttpRequest) -> HttpResponse:
    request.session.pop(HOLDER, None)
    if not request.user.is_authenticated:
        request.session.flush()
    messages.info(request, "You have signed out of your concern.")
    return redirect("home")


def _holder(request: HttpRequest) -> ReceiptHolder | None:
    holder = policies.receipt_holder_from_session(request.session)
    if holder is None:
        request.session.pop(HOLDER, None)
    return holder


# --- The reporter's concern page (signed in, or holding a receipt) ---------------------------


@login_required
def my_concerns(request: HttpRequest) -> HttpResponse:
    cases = selectors.concern_list_for_reporter(user=request.user)
    return render(request, "workflow/reporter/my_concerns.html", {"cases": cases})


@dataclass(frozen=True)
class Reporting:
    """Who is asking about which case, and where that case's pages live."""

    actor: Actor
    case: Case
    anonymous: bool

    def url(self, action: str = "", *args: object) -> str:
        name = ("receipt_concern" if self.anonymous else "my_concern") + (
            f"_{action}" if action else ""
        )
        return reverse(name, args=args if self.anonymous else [self.case.reference, *args])


def _get_or_404(read: Callable[[], Case]) -> Case:
    try:
        return read()
    except CaseNotFound as exc:
        raise Http404("Concern not found.") from exc


def reporter_case(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Resolve the case through the reporter's own scope; anything else is a 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, reference: str | None = None, **kwargs: Any) -> HttpResponse:
        if reference is None:
            holder = _holder(request)
            if holder is None:
                messages.info(request, "Enter your receipt code to see your concern.")
                return redirect("receipt")
            case = _get_or_404(lambda: selectors.concern_get_for_receipt_holder(holder=holder))
            return view(request, Reporting(holder, case, anonymous=True), **kwargs)
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?next={request.path}")
        case = _get_or_404(
            lambda: selectors.concern_get_for_reporter(actor=request.user, reference=reference)
        )
        return view(request, Reporting(request.user, case, anonymous=False), **kwargs)

    return wrapper


def _detail(request: HttpRequest, rep: Reporting, **forms: Any) -> HttpResponse:
    case = rep.case
    conversation = list(selectors.case_messages(case=case))
    try:
        answer = case.speak_up_again
    except ObjectDoesNotExist:
        answer = None
    context = {
        "case": case,
        "concern": case.concern,
        "categories": case.concern.categories.all(),
        "attachments": [
            (a, rep.url("file", a.pk))
            for a in case.concern.attachments.only("id", "filename", "size", "concern_id")
        ],
        "conversation": conversation,
        "standing": concern_standing(case=case, conversation=conversation),
        "guardian_contact": case.organisation.guardian_contact,
        "anonymous": rep.anonymous,
        "socket_path": socket_path_for(request.session, concern_id=case.concern_id),
        "urls": {
            "self": rep.url(),
            **{a: rep.url(a) for a in ("reply", "withdraw", "again", "detriment")},
        },
        "can_withdraw": case.is_open,
        "can_reply": case.status != Status.WITHDRAWN,
        # Asked only while the concern is closed: after a reopen the question waits.
        "asked_again": case.status == Status.CLOSED
        and any(m.kind == MessageKind.SPEAK_UP_AGAIN for m in conversation),
        "asked_detriment": any(m.kind == MessageKind.DETRIMENT_FOLLOW_UP for m in conversation),
        "answer": answer,
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "again_form": forms.get("again_form") or SpeakUpAgainForm(),
        "detriment_form": forms.get("detriment_form") or DetrimentReportForm(),
        "timeliness": rules.timeliness(),
    }
    bad = any(f.errors for f in forms.values())
    return render(request, "workflow/reporter/concern.html", context, status=400 if bad else 200)


@require_safe
@reporter_case
def concern_file(request: HttpRequest, rep: Reporting, attachment_id: int) -> HttpResponse:
    """The reporter's own attached file, back to them (as the guardian receives it)."""
    return attachment_response(rep.case, attachment_id)


@require_safe
@reporter_case
def concern_case_file(request: HttpRequest, rep: Reporting, number: int) -> HttpResponse:
    """A file of the conversation, either side's; a file on an internal note is not there."""
    try:
        file = selectors.case_file_for_reporter(case=rep.case, number=number)
    except CaseNotFound as exc:
        raise Http404("File not found.") from exc
    return case_file_response(rep.case, file)


@reporter_case
def concern_detail(request: HttpRequest, rep: Reporting) -> HttpResponse:
    if request.method == "POST":
        return _email_updates(request, rep)
    return _detail(request, rep)


def _email_updates(request: HttpRequest, rep: Reporting) -> HttpResponse:
    """The page's own form: turn email updates on or off (signed-in reporters only)."""
    wanted = request.POST.get("email_updates")
    if rep.anonymous or wanted not in {"on", "off"}:
        return _detail(request, rep)
    try:
        reporter_actions.concern_email_updates_set(
            case=rep.case, actor=rep.actor, email_updates=wanted == "on"
        )
    except CaseNotFound as exc:
        raise Http404("Concern not found.") from exc
    messages.success(
        request,
        "We will email you when there is news."
        if wanted == "on"
        else "We will not email you about this concern.",
    )
    return redirect(rep.url())


def _act(
    request: HttpRequest,
    rep: Reporting,
    form: Any,
    form_name: str,
    act: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Run one reporter action from a posted form; show errors on the same page."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except CaseNotFound as exc:
            raise Http404("Concern not found.") from exc
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, done)
            return redirect(rep.url())
    return _detail(request, rep, **{form_name: form})


@sensitive_post_parameters()
@require_POST
@reporter_case
def concern_reply(request: HttpRequest, rep: Reporting) -> HttpResponse:
    return _act(
        request,
        rep,
        ReplyForm(request.POST, request.FILES),
        "reply_form",
        lambda d: reporter_actions.concern_message_reply(
            case=rep.case, actor=rep.actor, body=d["body"], files=attached(d["file"])
        ),
        "Your reply has been sent to the guardian.",
    )


@sensitive_post_parameters()
@require_POST
@reporter_case
def concern_speak_up_again(request: HttpRequest, rep: Reporting) -> HttpResponse:
    return _act(
        request,
        rep,
        SpeakUpAgainForm(request.POST),
        "again_form",
        lambda d: reporter_actions.concern_speak_up_again_answer(
            case=rep.case, actor=rep.actor, answer=d["answer"], comment=d["comment"]
        ),
        "Thank you for your answer.",
    )


@sensitive_post_parameters()
@require_POST
@reporter_case
def concern_detriment(request: HttpRequest, rep: Reporting) -> HttpResponse:
    return _act(
        request,
        rep,
        DetrimentReportForm(request.POST),
        "detriment_form",
        lambda d: reporter_actions.concern_detriment_report(
            case=rep.case, actor=rep.actor, suffered=d["suffered"], note=d["note"]
        ),
        "Thank you for telling us. The guardian will see what you said.",
    )


@sensitive_post_parameters()
@reporter_case
def concern_withdraw(request: HttpRequest, rep: Reporting) -> HttpResponse:
    """A confirmation page first; withdrawing happens only on POST."""
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            transitions.case_withdraw(
                case=rep.case, actor=rep.actor, reason=form.cleaned_data["note"]
            )
        except CaseNotFound as exc:
            raise Http404("Concern not found.") from exc
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "You have withdrawn your concern.")
            return redirect(rep.url())
    return render(
        request,
        "workflow/reporter/withdraw.html",
        {
            "case": rep.case,
            "form": form,
            "back_url": rep.url(),
            "withdraw_url": rep.url("withdraw"),
        },
        status=400 if form.errors else 200,
    )
