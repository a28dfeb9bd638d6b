"""The catalogue of every page, for the every-page, every-role sweep (test_every_page.py).

Every URL pattern the resolver knows is either a ``Visit`` here (how to reach it with the
fixture world, which roles can see it, which of its forms to send empty for the error state)
or in ``SKIPPED`` with the reason it is not a page (a download, JSON, a redirect, POST-only).
A new pattern in neither fails ``test_every_url_pattern_is_swept_or_skipped``, so a page
cannot be added without being swept.

Roles: ``visitor`` (signed out), ``reporter`` (signed in), ``holder`` (signed out, holding a
receipt code), ``guardian``, ``lead`` (lead guardian), ``committee``, ``admin`` (a superuser
administrator).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROLES = ("visitor", "reporter", "holder", "guardian", "lead", "committee", "admin")
STAFF = ("guardian", "lead", "committee", "admin")
SIGNED_IN = ("reporter", *STAFF)
HANDLERS = ("guardian", "lead")

World = dict[str, Any]


@dataclass(frozen=True)
class Visit:
    """One page: ``name`` reversed with ``args(world)`` plus ``query``, seen by ``roles``.
    ``errors`` are CSS selectors of forms on it that, sent empty, must show an error."""

    name: str
    roles: tuple[str, ...]
    args: Callable[[World], dict[str, Any]] | None = None
    query: str = ""
    errors: tuple[str, ...] = ()
    status: int = 200
    label: str = ""

    def path(self, world: World) -> str:
        kwargs = self.args(world) if self.args else {}
        return reverse(self.name, kwargs=kwargs) + self.query

    def title(self) -> str:
        return self.label or self.name + self.query


def _ref(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"reference": w["cases"][key].reference}


def _case_pages() -> list[Visit]:
    """The guardian's case page in each state (each shows different forms)."""
    visits = []
    forms = {
        "acknowledged": ("form#note",),
        "investigating": ("form#message", "#give_feedback form", "form#reveal", "#refer form"),
        "feedback_given": ("form[action$='/outcome/']", "form[action$='/detriment/']"),
        "closed": ("#reopen form",),
    }
    # a guardian takes an unassigned case with one button; a lead chooses who (a form)
    visits.append(Visit("cases:detail", ("guardian",), _ref("received"), label="case received"))
    visits.append(
        Visit(
            "cases:detail",
            ("lead",),
            _ref("received"),
            errors=("form#assign",),
            label="case received",
        )
    )
    for state in ("acknowledged", "investigating", "feedback_given", "closed"):
        # a lead sees the guardian's page plus the choice of guardian: two states are enough
        roles = HANDLERS if state in {"investigating", "closed"} else ("guardian",)
        visits.append(
            Visit("cases:detail", roles, _ref(state), errors=forms[state], label=f"case {state}")
        )
    for state in ("referred", "withdrawn", "reopened"):
        visits.append(Visit("cases:detail", ("guardian",), _ref(state), label=f"case {state}"))
    return visits


_PUBLIC = [
    Visit("home", ROLES),  # each role's header; the pages below differ only in their header
    Visit("raise", ("visitor", "reporter"), errors=("main form[method=post]",)),
    Visit("raise_receipt", ("visitor",), label="receipt page, code already shown"),
    Visit("receipt", ("visitor",), errors=("main form[method=post]",)),
    Visit("accessibility", ROLES),
    Visit("privacy", ROLES),
    Visit("concerns:standards", ROLES),
    Visit("concerns:standards", ("visitor",), query="?q=speak"),
    Visit("api:docs", ("visitor",)),
    # the error pages, as a signed-in person meets them
    Visit("cases:detail", ("guardian",), lambda w: {"reference": "SU-1999-00001"}, status=404),
    Visit("setup:index", ("reporter", "guardian"), status=403),
]

_REPORTER = [
    Visit("raise_sent", ("reporter",), _ref("mine")),
    Visit("my_concerns", ("reporter",)),
    Visit(
        "my_concern",
        ("reporter",),
        _ref("mine"),
        errors=("form[action$='/reply/']", "form[action$='/detriment/']"),
    ),
    Visit(
        "my_concern",
        ("reporter",),
        _ref("mine_closed"),
        errors=("form[action$='/speak-up-again/']",),
        label="my concern, closed",
    ),
    Visit("my_concern_withdraw", ("reporter",), _ref("mine")),
    Visit("receipt_concern", ("holder",), errors=("form[action$='/reply/']",)),
    Visit("receipt_concern_withdraw", ("holder",)),
]

_GUARDIAN = [
    Visit("cases:queue", HANDLERS),
    Visit("cases:queue", ("guardian",), query="?status=all&due=overdue"),
    Visit("cases:queue", ("guardian",), query="?q=SU-0000-99999", label="queue, no match"),
    Visit("cases:workload", ("lead",)),
    Visit("notifications:list", HANDLERS),
    *_case_pages(),
]

_COMMITTEE = [
    Visit("reports:dashboard", ("committee", "lead")),
    Visit("reports:dashboard", ("committee",), query="?period=year&year=2026"),
    Visit("reports:dashboard", ("committee",), query="?period=year&year=9999", status=400),
    Visit("reports:data_return", ("lead",)),
]

_SETUP = [
    Visit("setup:index", ("admin",)),
    Visit("setup:organisation_add", ("admin",), errors=("main form[method=post]",)),
    Visit(
        "setup:organisation",
        ("admin",),
        lambda w: {"code": w["org"].code},
        errors=(
            "main form:has(input[value=department])",
            "main form:has(input[value=organisation])",
        ),
    ),
    Visit(
        "setup:department",
        ("admin",),
        lambda w: {"code": w["org"].code, "pk": w["department"].pk},
        errors=("main form[method=post]",),
    ),
    Visit("setup:staff", ("admin",)),
    Visit("setup:invite", ("admin",), errors=("main form[method=post]",)),
    Visit("setup:deactivate", ("admin",), lambda w: {"pk": w["people"]["guardian"].pk}),
    Visit("setup:categories", ("admin",)),
    Visit(
        "setup:category", ("admin",), lambda w: {"slug": "patient-safety"}, errors=("main form",)
    ),
    Visit("setup:retention", ("admin",), errors=("main form[method=post]",)),
    Visit("setup:accept", ("visitor",), lambda w: w["invitation"], errors=("main form",)),
    Visit(
        "setup:accept",
        ("visitor",),
        lambda w: {**w["invitation"], "token": "expired-token"},
        status=400,
        label="invitation, expired",
    ),
]

_ACCOUNTS = [
    Visit("login", ("visitor",), errors=("main form[method=post]",)),
    Visit("logout", SIGNED_IN),
    Visit("accounts_security", SIGNED_IN),
    Visit("accounts_mfa_enrol", ("reporter",)),
    Visit("account_inactive", ("visitor",)),
    Visit("account_signup", ("visitor",)),
    Visit("account_reauthenticate", ("reporter",), errors=("main form[method=post]",)),
    Visit("account_email", ("reporter",)),
    Visit("account_email_verification_sent", ("visitor",)),
    Visit("account_change_password", ("reporter",), errors=("main form[method=post]",)),
    Visit("account_reset_password", ("visitor",), errors=("main form[method=post]",)),
    Visit("account_reset_password_done", ("visitor",)),
    Visit("account_reset_password_from_key_done", ("visitor",)),
    Visit(
        "account_reset_password_from_key",
        ("visitor",),
        lambda w: {"uidb36": "1", "key": "not-a-key"},
        label="password reset, bad link",
    ),
    Visit("account_confirm_email", ("visitor",), lambda w: {"key": "not-a-key"}),
    Visit("mfa_index", STAFF),
    Visit("mfa_reauthenticate", ("guardian",), errors=("main form[method=post]",)),
    Visit("mfa_deactivate_totp", ("guardian",)),
    Visit("mfa_view_recovery_codes", ("guardian",)),
    Visit("mfa_generate_recovery_codes", ("guardian",)),
    Visit("mfa_list_webauthn", ("guardian",)),
    Visit("mfa_add_webauthn", ("guardian",)),
    Visit("socialaccount_login_cancelled", ("visitor",)),
    Visit("socialaccount_login_error", ("visitor",), status=401),
    Visit("socialaccount_connections", ("reporter",)),
]


def _admin_object(model: type) -> Callable[[World], dict[str, Any]]:
    def args(world: World) -> dict[str, Any]:
        pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        assert pk is not None, f"the fixture world has no {model.__name__} for its admin pages"
        return {"object_id": pk}

    return args


class _AnyPermission:
    """A superuser as ModelAdmin's permission checks see one: what is still refused is
    refused by the admin's design (an append-only log, records that are never deleted)."""

    is_active = is_staff = is_superuser = True

    def has_perm(self, *args: object) -> bool:
        return True

    def has_module_perms(self, *args: object) -> bool:
        return True


def _admin_status(model_admin: Any, page: str) -> int:
    request = RequestFactory().get("/")
    request.user = _AnyPermission()  # type: ignore[assignment]
    allowed = {
        "add": model_admin.has_add_permission,
        "delete": model_admin.has_delete_permission,
    }.get(page, lambda request: True)(request)
    return 200 if allowed else 403


def _admin_pages() -> list[Visit]:
    """Every registered model's admin pages, found from the admin site (a model registered
    later is swept without a change here); add forms are also sent empty. A page the admin
    refuses by design is a 403 page, swept as such."""
    visits = [
        Visit("admin:index", ("admin",)),
        Visit("admin:password_change", ("admin",)),
        Visit("admin:password_change_done", ("admin",)),
    ]
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        visits.append(Visit(f"{prefix}_changelist", ("admin",)))
        status = _admin_status(model_admin, "add")
        errors = ("#content-main form",) if status == 200 else ()
        visits.append(Visit(f"{prefix}_add", ("admin",), errors=errors, status=status))
        for page in ("change", "history", "delete"):
            status = _admin_status(model_admin, page)
            visits.append(
                Visit(f"{prefix}_{page}", ("admin",), _admin_object(model), status=status)
            )
    for app_label in sorted({m._meta.app_label for m in admin.site._registry}):
        visits.append(Visit("admin:app_list", ("admin",), lambda w, a=app_label: {"app_label": a}))
    return visits


def visits() -> list[Visit]:
    return [*_PUBLIC, *_REPORTER, *_GUARDIAN, *_COMMITTEE, *_SETUP, *_ACCOUNTS, *_admin_pages()]


_DOWNLOAD = "a download (a file, not a page)"
_POST = "POST only: a form's action (its error state is swept on the page that holds the form)"
_JSON = "the JSON API (no HTML page)"
SKIPPED: dict[str, str] = {
    "receipt_sign_out": _POST,
    "receipt_concern_reply": _POST,
    "receipt_concern_again": _POST,
    "receipt_concern_detriment": _POST,
    "receipt_concern_file": _DOWNLOAD,
    "my_concern_reply": _POST,
    "my_concern_again": _POST,
    "my_concern_detriment": _POST,
    "my_concern_file": _DOWNLOAD,
    "cases:transition": _POST,
    "cases:assign": _POST,
    "cases:message": _POST,
    "cases:note": _POST,
    "cases:triage": _POST,
    "cases:outcome": _POST,
    "cases:detriment": _POST,
    "cases:reveal": _POST,
    "cases:attachment": _DOWNLOAD,
    "cases:file": _DOWNLOAD + " (tests/e2e/test_case_files_journey.py)",
    "my_concern_case_file": _DOWNLOAD + " (tests/workflow/test_case_files.py)",
    "receipt_concern_case_file": _DOWNLOAD + " (tests/e2e/test_case_files_journey.py)",
    "raise_page": "each question needs the answers before it: tests/e2e/test_raise_journey.py "
    "walks the journey and sweeps every page (and two error states) at 320/640/1280",
    "raise_check": "check your answers needs a whole draft: swept by "
    "tests/e2e/test_raise_journey.py",
    "exit_this_page": "a redirect off the site (drops any draft first)",
    "cases:bundle": _POST + "; answers a PDF (tests/e2e/test_pdf_downloads.py)",
    "landing": "a redirect to each role's own workspace (each is swept)",
    "notifications:unread": "JSON for the header's unread count",
    "notifications:read_all": _POST,
    "notifications:read": _POST,
    "reports:export_xlsx": _DOWNLOAD,
    "reports:export_pdf": _DOWNLOAD + " (tests/e2e/test_pdf_downloads.py)",
    "reports:export_csv": _DOWNLOAD,
    "reports:data_return_csv": _DOWNLOAD,
    "account_login": "the same page as 'login' (allauth's name for it)",
    "account_logout": "the same page as 'logout' (allauth's name for it)",
    "account_set_password": "only for an account with no password: redirects to "
    "'account_change_password' (swept)",
    "account_confirm_login_code": "sign-in by emailed code is not enabled (redirects)",
    "mfa_authenticate": "reached only mid sign-in: tests/e2e/test_account_pages_axe.py",
    "mfa_activate_totp": "reached only before enrolling: tests/e2e/test_account_pages_axe.py",
    "mfa_download_recovery_codes": _DOWNLOAD,
    "mfa_reauthenticate_webauthn": "needs a passkey: tests/e2e/test_staff_passkey_journey.py",
    "mfa_remove_webauthn": "needs a passkey: tests/e2e/test_staff_passkey_journey.py",
    "mfa_edit_webauthn": "needs a passkey: tests/e2e/test_staff_passkey_journey.py",
    "mfa_login_webauthn": "POST only (the passkey sign-in's JSON exchange)",
    "socialaccount_signup": "reached only mid provider sign-in (auto sign-up is off)",
    "openid_connect_login": "POST only: starts a provider sign-in (tests/accounts OIDC tests)",
    "openid_connect_callback": "the provider's redirect back (tests/accounts OIDC tests)",
    "accounts/social/login/cancelled/": "allauth's old address: a redirect",
    "accounts/social/login/error/": "allauth's old address: a redirect",
    "accounts/social/signup/": "allauth's old address: a redirect",
    "accounts/social/connections/": "allauth's old address: a redirect",
    "admin_login_redirect": "a redirect to the sign-in page ('login', swept)",
    "admin:login": "shadowed by admin_login_redirect (the one sign-in page)",
    "admin:logout": _POST,
    "admin:autocomplete": "JSON for the admin's autocomplete widgets",
    "admin:jsi18n": "JavaScript for the admin's widgets",
    "admin:view_on_site": "a redirect to the object's page",
    "admin/(?P<url>.*)$": "the admin's catch-all (a 404 or a redirect)",
    "health-live": "a health probe (plain text)",
    "health-ready": "a health probe (plain text)",
    "metrics": "Prometheus metrics (plain text)",
}


def _model_redirects() -> dict[str, str]:
    """The admin's bare ``<model>/<object_id>/`` address redirects to its change page."""
    skipped = {}
    for model in admin.site._registry:
        route = f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/"
        skipped[route] = "a redirect to the change page (swept)"
    return skipped


def skipped() -> dict[str, str]:
    return {**SKIPPED, **_model_redirects()}


def url_patterns() -> Iterator[tuple[str, str]]:
    """(key, route) for every pattern: the key is the namespaced name, or the route if the
    pattern has no name."""

    def walk(patterns: list[Any], namespace: list[str], prefix: str) -> Iterator[tuple[str, str]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = [*namespace, p.namespace] if p.namespace else namespace
                yield from walk(p.url_patterns, inner, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                yield (":".join([*namespace, p.name]) if p.name else route), route

    yield from walk(get_resolver().url_patterns, [], "")


def api_names() -> set[str]:
    return {key for key, route in url_patterns() if route.startswith("api/v1/")} - {"api:docs"}
