"""The guardian's workspace: the queue, the case page and its actions, the lead's workload.

Views parse input, call one service or selector and render. Errors are answered the same way
everywhere: a case you may not see is a 404, an action you may not take is a 403, and a
refused transition or a stale form (someone changed the case since the page was rendered)
re-renders the case page with the reason in the error summary and status 409. Every
successful POST redirects (PRG) with a success message, except revealing a confidential
identity: the name is shown only in the response to that POST, never stored in the session,
a message or a URL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from concerns.models import Category, Organisation, Route
from concerns.roles import is_guardian, is_lead_guardian
from concerns.selectors import organisation_ids_for_user
from workflow import policies, selectors
from workflow.errors import CaseChanged, CaseNotFound, NotPermitted, TransitionRefused
from workflow.models import Case, CaseEvent, Side, Status
from workflow.pages.downloads import case_bundle_response
from workflow.pages.forms import attached, posted_files
from workflow.pages.guardian import forms as gf
from workflow.services import handling, transitions

# The queue's "due soon" window, the same as selectors' ``due=soon`` filter.
SOON_DAYS = 3
DEFAULT_PER_PAGE = 25
TRANSITION_LABELS = {
    "acknowledge": "Acknowledge",
    "start_investigation": "Start investigation",
    "give_feedback": "Give feedback",
    "close": "Close the case",
    "refer": "Refer elsewhere",
    "reopen": "Reopen the case",
}
TRANSITION_DONE = {
    "acknowledge": "Case acknowledged.",
    "start_investigation": "Investigation started.",
    "give_feedback": "Your feedback has been sent to the reporter.",
    "close": "Case closed. The reporter has been told.",
    "refer": "Case referred. The reporter has been told where it went.",
    "reopen": "Case reopened.",
}


def guardian_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in guardians only; anyone else is told the page does not exist."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        policies.staff_load(request.user)
        if not is_guardian(request.user):
            raise Http404("Page not found.")
        return view(request, *args, **kwargs)

    return wrapper


def _case_or_404(request: HttpRequest, reference: str) -> Case:
    try:
        return selectors.case_get_for_user(user=request.user, reference=reference)
    except CaseNotFound as exc:
        raise Http404("Case not found.") from exc


def _case_url(case: Case, anchor: str = "") -> str:
    url = reverse("cases:detail", kwargs={"reference": case.reference})
    return f"{url}#{anchor}" if anchor else url


# --- queue -------------------------------------------------------------------------------


@require_safe
@guardian_required
def queue(request: HttpRequest) -> HttpResponse:
    organisations = Organisation.objects.filter(
        id__in=organisation_ids_for_user(user=request.user)
    ).only("id", "code", "name")
    categories = Category.objects.filter(is_active=True).only("id", "slug", "name")
    data = request.GET.copy()
    data.setdefault("per_page", str(DEFAULT_PER_PAGE))
    data.setdefault("status", "open")
    form = gf.QueueFilterForm(data, categories=categories, organisations=organisations)
    wanted, per_page = form.queue_filters()
    filters = selectors.QueueFilters(**wanted)
    page = _page_number(request.GET.get("page"))
    offset = (page - 1) * per_page
    rows = list(
        selectors.queue_page_for_user(user=request.user, filters=filters)[
            offset : offset + per_page + 1
        ]
    )
    has_next = len(rows) > per_page
    query = {k: v for k, v in form.valid_values().items()}
    query["per_page"] = per_page
    now = timezone.now()
    base = reverse("cases:queue")
    return render(
        request,
        "workflow/guardian/queue.html",
        {
            "form": form,
            "cases": rows[:per_page],
            "total": selectors.queue_count_for_user(user=request.user, filters=filters),
            "page": page,
            "first_number": offset + 1,
            "previous_url": f"{base}?{urlencode({**query, 'page': page - 1})}" if page > 1 else "",
            "next_url": f"{base}?{urlencode({**query, 'page': page + 1})}" if has_next else "",
            "last_number": offset + min(len(rows), per_page),
            "now": now,
            "soon": now + dt.timedelta(days=SOON_DAYS),
            "filters": filters,
        },
    )


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 10_000))
    except ValueError:
        return 1


# --- workload ----------------------------------------------------------------------------


@require_safe
@guardian_required
def workload(request: HttpRequest) -> HttpResponse:
    if not is_lead_guardian(request.user):
        raise Http404("Page not found.")
    return render(
        request,
        "workflow/guardian/workload.html",
        {
            "rows": selectors.workload_for_lead(user=request.user),
            "unassigned": selectors.queue_count_for_user(
                user=request.user,
                filters=selectors.QueueFilters(open_only=True, assigned="none"),
            ),
            "soon_days": SOON_DAYS,
            "open_total": selectors.queue_count_for_user(
                user=request.user, filters=selectors.QueueFilters(open_only=True)
            ),
        },
    )


# --- case page ---------------------------------------------------------------------------


@require_safe
@guardian_required
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _render_case(request, _case_or_404(request, reference))


def _blank_forms(request: HttpRequest, case: Case) -> dict[str, forms.Form]:
    initial = {"version": case.version}
    built: dict[str, forms.Form] = {
        "message": gf.MessageForm(prefix="message"),
        "note": gf.NoteForm(prefix="note"),
        "detriment": gf.DetrimentRecordForm(prefix="detriment"),
        "reveal": gf.RevealForm(prefix="reveal"),
        "triage": gf.TriageForm(
            prefix="triage",
            initial={
                **initial,
                "categories": list(case.concern.categories.all()),
                "standards": list(case.concern.standards.all()),
            },
        ),
        "outcome": gf.OutcomeForm(prefix="outcome", initial={**initial, **_outcome_initial(case)}),
        "assign": gf.AssignForm(
            prefix="assign",
            guardians=selectors.guardians_for_case(case=case),
            initial={**initial, "guardian": case.assigned_guardian},
        ),
    }
    for name in TRANSITION_LABELS:
        built[name] = _transition_form(name, case, None, initial=initial)
    return built


def _transition_form(name: str, case: Case, data: Any, **kwargs: Any) -> forms.Form:
    form_class = gf.transition_form_class(name)
    if form_class is gf.ReferForm:
        kwargs["anonymous"] = case.route == Route.ANONYMOUS
    return form_class(data, prefix=name, **kwargs)


def _outcome_initial(case: Case) -> dict[str, str]:
    outcome = getattr(case, "outcome", None)
    if outcome is None:
        return {}
    return {
        "upheld": outcome.upheld,
        "findings": outcome.findings,
        "actions": outcome.actions,
        "lessons": outcome.lessons,
    }


def _render_case(
    request: HttpRequest,
    case: Case,
    *,
    status: int = 200,
    bound: dict[str, forms.Form] | None = None,
    problem: tuple[str, str] | None = None,
    revealed: handling.RevealedIdentity | None = None,
) -> HttpResponse:
    user = request.user
    all_forms = {**_blank_forms(request, case), **(bound or {})}
    available = transitions.case_available_transitions(case=case, actor=user)
    concern = case.concern
    context = {
        "case": case,
        "concern": concern,
        "categories": concern.categories.all(),
        "standards": concern.standards.select_related("domain"),
        "attachments": concern.attachments.only("id", "content_type", "size", "concern_id"),
        "events": _labelled(selectors.case_events(case=case)),
        "conversation": selectors.case_messages(case=case),
        "notes": selectors.case_notes(case=case),
        "outcome": getattr(case, "outcome", None),
        "detriments": case.detriments.all(),
        "forms": all_forms,
        "actions": [
            (name, TRANSITION_LABELS[name], all_forms[name])
            for name in available
            if name in TRANSITION_LABELS
        ],
        "may_handle": policies.may_handle_case(user, case),
        "may_reveal": policies.may_reveal_identity(user, case),
        "may_choose_guardian": is_lead_guardian(user) and policies.may_view_case(user, case),
        "may_take": policies.may_assign(user, case, user),
        "is_open": case.is_open,
        "problem": problem,
        "error_forms": [f for f in (bound or {}).values() if f.is_bound and f.errors],
        # Folded sections (details) open when they hold an error or were being retried.
        "open_sections": set(bound or {}),
        "revealed": revealed,
        "Route": Route,
        "Side": Side,
    }
    return render(request, "workflow/guardian/case.html", context, status=status)


STATUS_LABELS = dict(Status.choices)


def _labelled(events: Iterable[CaseEvent]) -> list[CaseEvent]:
    rows = list(events)
    for e in rows:
        e.from_label, e.to_label = STATUS_LABELS.get(e.from_state), STATUS_LABELS.get(e.to_state)
    return rows


# --- actions -----------------------------------------------------------------------------

FormFactory = Callable[[Case, Any], forms.Form]
Action = Callable[[Case, dict[str, Any]], str]


def _act(
    request: HttpRequest,
    reference: str,
    *,
    section: str,
    make_form: FormFactory,
    action: Action,
    allowed: Callable[[Any, Case], bool] = policies.may_handle_case,
) -> HttpResponse:
    """Parse the form, call the service, then redirect, or re-render with the problem."""
    case = _case_or_404(request, reference)
    if not allowed(request.user, case):
        raise PermissionDenied("You cannot do that on this case.")
    form = make_form(case, request.POST)
    if not form.is_valid():
        return _render_case(request, case, status=400, bound={section: form})
    try:
        done = action(case, form.cleaned_data)
    except CaseNotFound as exc:
        raise Http404("Case not found.") from exc
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    except (TransitionRefused, CaseChanged) as exc:
        fresh = _case_or_404(request, reference)
        # Keep what they typed, with the current version, so trying again is one click.
        retry = make_form(fresh, None)
        retry.initial = {**form.cleaned_data, "version": fresh.version}
        return _render_case(
            request, fresh, status=409, bound={section: retry}, problem=(str(exc), section)
        )
    messages.success(request, done)
    return redirect(_case_url(case, section))


@require_POST
@guardian_required
def case_transition(request: HttpRequest, reference: str, name: str) -> HttpResponse:
    if name not in TRANSITION_LABELS:
        raise Http404("No such action.")

    def action(case: Case, data: dict[str, Any]) -> str:
        given = transitions.TransitionInput(
            note=data.get("note", ""),
            message=data.get("message", ""),
            destination=data.get("destination", ""),
            name_shared=data.get("name_shared", False),
            expected_version=data["version"],
        )
        transitions.case_transition_named(case=case, name=name, actor=request.user, given=given)
        return TRANSITION_DONE[name]

    return _act(
        request,
        reference,
        section=name,
        make_form=lambda case, data: _transition_form(name, case, data),
        action=action,
    )


@require_POST
@guardian_required
def case_assign(request: HttpRequest, reference: str) -> HttpResponse:
    def action(case: Case, data: dict[str, Any]) -> str:
        guardian = data["guardian"]
        handling.case_assign(
            case=case, guardian=guardian, actor=request.user, expected_version=data["version"]
        )
        if guardian.pk == request.user.pk:
            return "The case is assigned to you."
        return f"The case is assigned to {guardian.get_full_name() or guardian.username}."

    return _act(
        request,
        reference,
        section="assign",
        make_form=lambda case, data: gf.AssignForm(
            data, prefix="assign", guardians=selectors.guardians_for_case(case=case)
        ),
        action=action,
        allowed=policies.may_view_case,
    )


@require_POST
@guardian_required
def case_message(request: HttpRequest, reference: str) -> HttpResponse:
    def action(case: Case, data: dict[str, Any]) -> str:
        handling.case_message_send(
            case=case, actor=request.user, body=data["body"], files=attached(data["file"])
        )
        return "Message sent to the reporter."

    return _act(
        request,
        reference,
        section="message",
        make_form=lambda case, data: gf.MessageForm(
            data, posted_files(request, data), prefix="message"
        ),
        action=action,
    )


@require_POST
@guardian_required
def case_note(request: HttpRequest, reference: str) -> HttpResponse:
    def action(case: Case, data: dict[str, Any]) -> str:
        handling.case_note_add(
            case=case, actor=request.user, body=data["body"], files=attached(data["file"])
        )
        return "Internal note added."

    return _act(
        request,
        reference,
        section="note",
        make_form=lambda case, data: gf.NoteForm(data, posted_files(request, data), prefix="note"),
        action=action,
        allowed=policies.may_view_case,
    )


@require_POST
@guardian_required
def case_triage(request: HttpRequest, reference: str) -> HttpResponse:
    def action(case: Case, data: dict[str, Any]) -> str:
        handling.case_triage_update(
            case=case,
            actor=request.user,
            categories=list(data["categories"]),
            standards=list(data["standards"]),
            note=data["note"],
            expected_version=data["version"],
        )
        return "Categories and standards updated."

    return _act(
        request,
        reference,
        section="triage",
        make_form=lambda case, data: gf.TriageForm(data, prefix="triage"),
        action=action,
    )


@require_POST
@guardian_required
def case_outcome(request: HttpRequest, reference: str) -> HttpResponse:
    def action(case: Case, data: dict[str, Any]) -> str:
        handling.case_outcome_record(
            case=case,
            actor=request.user,
            upheld=data["upheld"],
            findings=data["findings"],
            actions=data["actions"],
            lessons=data["lessons"],
            expected_version=data["version"],
        )
        return "Outcome recorded."

    return _act(
        request,
        reference,
        section="outcome",
        make_form=lambda case, data: gf.OutcomeForm(data, prefix="outcome"),
        action=action,
    )


@require_POST
@guardian_required
def case_detriment(request: HttpRequest, reference: str) -> HttpResponse:
    def action(case: Case, data: dict[str, Any]) -> str:
        handling.case_detriment_record(
            case=case, actor=request.user, suffered=data["suffered"], note=data["note"]
        )
        return "Detriment recorded."

    return _act(
        request,
        reference,
        section="detriment",
        make_form=lambda case, data: gf.DetrimentRecordForm(data, prefix="detriment"),
        action=action,
    )


@require_POST
@guardian_required
def case_reveal(request: HttpRequest, reference: str) -> HttpResponse:
    """Not PRG on purpose: the identity exists only in this response."""
    case = _case_or_404(request, reference)
    if not policies.may_reveal_identity(request.user, case):
        raise PermissionDenied("You cannot reveal this reporter's identity.")
    form = gf.RevealForm(request.POST, prefix="reveal")
    if not form.is_valid():
        return _render_case(request, case, status=400, bound={"reveal": form})
    try:
        revealed = handling.case_identity_reveal(
            case=case, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except CaseNotFound as exc:
        raise Http404("Case not found.") from exc
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    except TransitionRefused as exc:
        return _render_case(request, case, status=409, problem=(str(exc), "reveal"))
    return _render_case(request, _case_or_404(request, reference), revealed=revealed)


@require_POST
@guardian_required
def case_bundle(request: HttpRequest, reference: str) -> HttpResponse:
    """The case bundle PDF; a POST, as each download is a case event (workflow/bundle.py)."""
    return case_bundle_response(case=_case_or_404(request, reference), actor=request.user)
