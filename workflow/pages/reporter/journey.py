"""The raise journey: one question per page (NHS.UK design system), then "check your
answers", then send.

Route first: "Who should know your name?" comes before anything is typed, so a reporter who
needs to sign in does so before writing a word. What they type is kept, encrypted, in the
session (``draft``) and survives the sign-in detour. Sending rebuilds the whole
``RaiseConcernForm`` from the draft (and the files posted with "Send") and calls the same
``raising.concern_raise`` as the one-page form and the API: no rule of raising lives here.

Files are asked for on the "check your answers" page and posted with "Send", so an upload
is never held between requests (five 10 MB files have no place in a session row).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters

from concerns.crypto import encrypt_bytes
from concerns.models import Route
from config import rules
from workflow.errors import CaseError, InvalidInput, NotPermitted
from workflow.pages.reporter.draft import (
    DRAFT_KEY,
    DRAFT_SECONDS,
    Draft,
    Problem,
    draft_drop,
    draft_load,
    draft_save,
)
from workflow.pages.reporter.forms import RaiseConcernForm, RaiseStepForm
from workflow.receipt_throttle import anonymous_raise_allowed
from workflow.services import raising

RECEIPT_ONCE = "speakup_receipt_once"  # as views.RECEIPT_ONCE: the receipt page reads it
LAST_SENT = "speakup_raise_sent"  # a signed-in reporter's last reference, for a second "Send"
SEND_WAIT_SECONDS = 10.0  # a second "Send" waits this long for the first to finish
NAMED_ROUTES = {Route.OPEN, Route.CONFIDENTIAL}

TOO_MANY_ANONYMOUS = (
    "Several concerns have been raised anonymously from this connection in the last hour. "
    "Please wait an hour and try again, or contact your Freedom to Speak Up guardian directly."
)
START_AGAIN = {
    Problem.EXPIRED: f"Your answers were deleted because nothing was added for "
    f"{DRAFT_SECONDS // 60} minutes. This protects your privacy on a shared device. "
    "Please start again.",
    Problem.UNREADABLE: "We could not read your answers, so they have been deleted. "
    "Please start again.",
    Problem.MISSING: "Start by telling us who should know your name.",
}
NOTHING_TO_SEND = "Your answers are no longer here, so nothing was sent. Please start again."


def _always(route: str) -> bool:
    return True


def _named(route: str) -> bool:
    return route in NAMED_ROUTES


@dataclass(frozen=True)
class Page:
    slug: str
    title: str  # the page's h1 and <title>; neutral, never naming what the concern is about
    fields: tuple[str, ...]
    intro: str = ""
    applies: Callable[[str], bool] = _always

    @property
    def url(self) -> str:
        return reverse("raise_page", args=[self.slug])


PAGES: tuple[Page, ...] = (
    Page("who", "Who should know your name?", ("route",)),
    Page("where", "Where did it happen?", ("organisation", "department")),
    Page("about", "What is your concern about?", ("categories",)),
    Page("happened", "What happened?", ("description",)),
    Page("hoped", "What would you like to happen? (optional)", ("outcome_hoped",)),
    Page("elsewhere", "Have you already raised this somewhere else?", ("raised_elsewhere",)),
    Page(
        "you",
        "About you",
        ("reporter_role", "professional_group"),
        intro="We use this to see where concerns come from. It is only ever reported in "
        "groups large enough not to identify anyone.",
    ),
    Page(
        "contact",
        "Your name and how to contact you",
        ("reporter_name", "reporter_contact", "email_updates"),
        intro="Only the guardian sees these.",
        applies=_named,
    ),
)
BY_SLUG = {p.slug: p for p in PAGES}
PAGE_OF_FIELD = {name: p for p in PAGES for name in p.fields}


# --- where to go next -----------------------------------------------------------------------


def _pages_for(draft: Draft) -> list[Page]:
    route = draft.value("route")
    return [p for p in PAGES if p.applies(route)]


def _first_unanswered(draft: Draft) -> Page | None:
    return next((p for p in _pages_for(draft) if p.slug not in draft.done), None)


def _check_url() -> str:
    return reverse("raise_check")


def _next_url(draft: Draft, page: Page) -> str:
    """The next question; after "check your answers", straight back there (or to a question
    a change has made necessary)."""
    unanswered = _first_unanswered(draft)
    if draft.checked:
        return unanswered.url if unanswered else _check_url()
    pages = _pages_for(draft)
    later = pages[pages.index(page) + 1 :] if page in pages else []
    return later[0].url if later else (unanswered.url if unanswered else _check_url())


def _back_url(draft: Draft | None, page: Page) -> str:
    if draft is not None and draft.checked:
        return _check_url()
    pages = _pages_for(draft) if draft else list(PAGES)
    if page not in pages or pages.index(page) == 0:
        return reverse("home")
    return pages[pages.index(page) - 1].url


def _sign_in_needed(request: HttpRequest, draft: Draft) -> bool:
    return draft.value("route") in NAMED_ROUTES and not request.user.is_authenticated


def _sign_in(request: HttpRequest, then: str) -> HttpResponse:
    """The sign-in page, coming back to ``then`` (one of our paths, nothing else)."""
    messages.info(
        request,
        "Sign in to raise your concern openly or confidentially. Your answers are kept "
        "while you sign in.",
    )
    return redirect(f"{reverse('login')}?next={quote(then)}")


def _start_again(request: HttpRequest, problem: Problem) -> HttpResponse:
    messages.info(request, START_AGAIN[problem])
    return redirect(BY_SLUG["who"].url)


# --- the question pages ----------------------------------------------------------------------


def _answers(draft: Draft, names: tuple[str, ...] | None = None) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, values in draft.answers.items():
        if names is None or name in names:
            data.setlist(name, values)
    return data


def _step_form(request: HttpRequest, page: Page, data: QueryDict | None) -> RaiseStepForm:
    heading = page.title if len(page.fields) == 1 else ""
    return RaiseStepForm(data, user=request.user, fields=page.fields, heading=heading)


def _kind(field: forms.Field) -> str:
    widget = field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    return "checkbox" if isinstance(field, forms.BooleanField) else "field"


def _render_page(
    request: HttpRequest, page: Page, form: forms.Form, draft: Draft | None, status: int = 200
) -> HttpResponse:
    context = {
        "page": page,
        "form": form,
        "fields": [(form[name], _kind(form.fields[name])) for name in form.fields],
        "heading_in_field": len(form.fields) == 1,
        "back_url": _back_url(draft, page),
        "action": page.url,
        "login_next": f"{reverse('login')}?next={quote(page.url)}",
        "timeliness": rules.timeliness(),
    }
    return render(request, "workflow/reporter/journey/page.html", context, status=status)


def raise_start(request: HttpRequest) -> HttpResponse:
    """GET /raise/: the journey's first question (POST /raise/ is the one-page form)."""
    return _raise_page(request, BY_SLUG["who"])


@sensitive_post_parameters()
def raise_page(request: HttpRequest, page: str) -> HttpResponse:
    return _raise_page(request, BY_SLUG.get(page))


def _raise_page(request: HttpRequest, page: Page | None) -> HttpResponse:
    if page is None:
        raise Http404("No such page.")
    loaded = draft_load(request.session)
    draft = loaded.draft
    if page.slug != "who":
        if draft is None:
            return _start_again(request, loaded.problem)
        if not page.applies(draft.value("route")):
            return redirect(_next_url(draft, page))
        if _sign_in_needed(request, draft):
            return _sign_in(request, page.url)
    elif loaded.problem in {Problem.EXPIRED, Problem.UNREADABLE} and request.method != "POST":
        messages.info(request, START_AGAIN[loaded.problem])
    if request.method == "POST":
        return _answer(request, page, draft or Draft())
    answered = _answers(draft, page.fields) if draft and page.slug in draft.done else None
    form = _step_form(request, page, answered)
    return _render_page(request, page, form, draft)


def _answer(request: HttpRequest, page: Page, draft: Draft) -> HttpResponse:
    form = _step_form(request, page, request.POST)
    if not form.is_valid():
        return _render_page(request, page, form, draft, status=400)
    if not draft.done:  # a new draft: an earlier send is no longer where "Send" goes
        request.session.pop(LAST_SENT, None)
    draft.answer(page.slug, {name: request.POST.getlist(name) for name in page.fields})
    if not _named(draft.value("route")):
        contact = BY_SLUG["contact"]
        draft.forget(contact.slug, contact.fields)  # an anonymous draft keeps no name
    draft_save(request.session, draft)
    then = _next_url(draft, page)
    if _sign_in_needed(request, draft):
        return _sign_in(request, then)
    return redirect(then)


# --- check your answers, and send -----------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: str
    value: str
    change_url: str
    change_label: str


def _shown(form: RaiseConcernForm, name: str) -> str:
    value = form.cleaned_data.get(name)
    field = form.fields[name]
    if name == "email_updates":
        return "Yes" if value else "No"
    if name == "categories":
        return "\n".join(str(c) for c in value or [])
    if isinstance(field, forms.ModelChoiceField):
        return str(value) if value else ""
    if isinstance(field, forms.ChoiceField) and not hasattr(value, "pk"):
        options: list[tuple[object, object]] = list(getattr(field, "choices", []))
        labels = {str(k): str(v) for k, v in options if not isinstance(v, list | tuple)}
        return labels.get(str(value), "") if value else ""
    return str(value) if value else ""


SUMMARY_KEYS = {
    "route": "Who knows your name",
    "organisation": "Organisation",
    "department": "Department or site",
    "categories": "What it is about",
    "description": "What happened",
    "outcome_hoped": "What you would like to happen",
    "raised_elsewhere": "Raised somewhere else",
    "reporter_role": "Your role",
    "professional_group": "Professional group",
    "reporter_name": "Your name",
    "reporter_contact": "Contact details",
    "email_updates": "Email updates",
}
NOT_GIVEN = {"department": "Not sure, or not listed", "outcome_hoped": "Not given"}


def _rows(draft: Draft, form: RaiseConcernForm) -> list[Row]:
    return [
        Row(
            SUMMARY_KEYS[name],
            _shown(form, name) or NOT_GIVEN.get(name, "Not given"),
            page.url,
            SUMMARY_KEYS[name].lower(),
        )
        for page in _pages_for(draft)
        for name in page.fields
    ]


def _full_form(request: HttpRequest, draft: Draft, *, files: bool) -> RaiseConcernForm:
    data = _answers(draft, tuple(f for p in _pages_for(draft) for f in p.fields))
    return RaiseConcernForm(data, request.FILES if files else None, user=request.user)


def _render_check(
    request: HttpRequest, draft: Draft, form: RaiseConcernForm, status: int = 200
) -> HttpResponse:
    context = {
        "rows": _rows(draft, form),
        "back_url": _pages_for(draft)[-1].url,
        "form": form,
        "anonymous": draft.value("route") == Route.ANONYMOUS,
        "timeliness": rules.timeliness(),
    }
    return render(request, "workflow/reporter/journey/check.html", context, status=status)


def _page_with_errors(
    request: HttpRequest, draft: Draft, field: str, refusal: InvalidInput | None = None
) -> HttpResponse:
    """The question a problem is about, showing it (as a service refusal or a form error)."""
    page = PAGE_OF_FIELD[field]
    form = _step_form(request, page, _answers(draft, page.fields))
    if refusal is not None:
        form.is_valid()
        form.add_refusal(refusal)
    return _render_page(request, page, form, draft, status=400)


@sensitive_post_parameters()
def raise_check(request: HttpRequest) -> HttpResponse:
    loaded = draft_load(request.session)
    draft = loaded.draft
    if draft is None:
        if request.method == "POST" and loaded.problem is Problem.MISSING:
            return _already_sent(request, request.session)
        return _start_again(request, loaded.problem)
    unanswered = _first_unanswered(draft)
    if unanswered is not None:
        return redirect(unanswered.url)
    if _sign_in_needed(request, draft):
        return _sign_in(request, _check_url())
    if not draft.checked and request.method != "POST":  # (a "Send" must not write the draft)
        draft.checked = True
        draft_save(request.session, draft)
    form = _full_form(request, draft, files=request.method == "POST")
    if not form.is_valid():
        wrong = [n for n in form.errors if n in PAGE_OF_FIELD]
        if wrong:
            return _page_with_errors(request, draft, wrong[0])
        return _render_check(request, draft, form, status=400)
    if request.method != "POST":
        return _render_check(request, draft, form)
    return _send(request, draft, form)


def _send(request: HttpRequest, draft: Draft, form: RaiseConcernForm) -> HttpResponse:
    if form.cleaned_data["route"] == Route.ANONYMOUS and not anonymous_raise_allowed(request):
        form.add_error(None, TOO_MANY_ANONYMOUS)
        return _render_check(request, draft, form, status=429)
    claim = f"speakup:raise-send:{draft.nonce}"
    if not cache.add(claim, 1, timeout=DRAFT_SECONDS):
        return _wait_for_first_send(request)
    try:
        raised = raising.concern_raise(concern=form.new_concern(), reporter=request.user)
    except NotPermitted as error:  # signed out since: the route page says so
        cache.delete(claim)
        return _page_with_errors(request, draft, "route", InvalidInput.of({"route": str(error)}))
    except InvalidInput as error:
        cache.delete(claim)
        fields = [n for n in error.problems if n in PAGE_OF_FIELD]
        if fields:
            return _page_with_errors(request, draft, fields[0], error)
        form.add_refusal(error)
        return _render_check(request, draft, form, status=400)
    except CaseError as error:
        cache.delete(claim)
        form.add_error(None, str(error))
        return _render_check(request, draft, form, status=400)
    draft_drop(request.session)
    if raised.receipt_code:
        secret = f"{raised.receipt_code}|{raised.concern.reference}".encode()
        request.session[RECEIPT_ONCE] = encrypt_bytes(secret).decode("ascii")
        return redirect("raise_receipt")
    request.session[LAST_SENT] = raised.concern.reference
    return redirect("raise_sent", reference=raised.concern.reference)


def _already_sent(request: HttpRequest, session: SessionBase) -> HttpResponse:
    """A second "Send" of a draft already sent goes where the first one went."""
    if session.get(RECEIPT_ONCE):
        return redirect("raise_receipt")
    if session.get(LAST_SENT) and request.user.is_authenticated:
        return redirect("raise_sent", reference=session[LAST_SENT])
    messages.info(request, NOTHING_TO_SEND)
    return redirect(BY_SLUG["who"].url)


def _wait_for_first_send(request: HttpRequest) -> HttpResponse:
    """Two "Send"s of one draft at once: this one waits for the other's session to be saved
    (its draft gone), then goes where the other went. It never writes the session itself,
    which would overwrite the other's receipt."""
    request.session.modified = False  # whatever this request read must not be saved over
    store = type(request.session)
    key = request.session.session_key
    deadline = time.monotonic() + SEND_WAIT_SECONDS
    fresh = store(key)
    while DRAFT_KEY in fresh and time.monotonic() < deadline:
        time.sleep(0.2)
        fresh = store(key)
    if DRAFT_KEY in fresh:
        messages.info(request, "Your concern is still being sent. Check My concerns shortly.")
        return redirect("home")
    return _already_sent(request, fresh)


def exit_this_page(request: HttpRequest) -> HttpResponse:
    """ "Exit this page": drop any draft, then leave for a neutral site."""
    draft_drop(request.session)
    return redirect("https://www.bbc.co.uk/weather")
