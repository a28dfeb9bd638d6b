"""Every URL of the site, as every role, with real, bogus and hostile input: never a 5xx.

Given a small data set (two organisations, open / confidential / anonymous concerns), we walk
``get_resolver().url_patterns`` recursively and, for every pattern, substitute real objects
(visible to the role or not) and bogus values ("SU-0000-00000", "..", very long strings,
unicode, "%00", lone surrogates). Each URL is fetched with GET and POSTed an empty body and
bodies whose every form field is garbage (wrong types, 100 kB strings, NUL bytes, lone
surrogates, unknown choices, huge and negative numbers, a file where text is expected).

Then:
- no response is a 5xx;
- an object the role may not see answers exactly as a reference that does not exist does,
  and never with a 403 (which would reveal that it exists);
- a rejected POST (4xx) leaves every concern, case, message, event, note, outcome,
  detriment, attachment and answer row as it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from tests.security.world import ROLES, World, build_world, client_for, row_counts
from workflow import policies
from workflow.pages.guardian import forms as gf
from workflow.pages.reporter import forms as fr
from workflow.pages.reporter import journey

pytestmark = pytest.mark.django_db

# --- the URL map ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    route: str  # the full route string, e.g. "cases/<str:reference>/notes/"
    params: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")


_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
# Regex-only admin patterns, written out as the routes they stand for.
_REGEX_ROUTES = {
    "admin/^(?P<app_label>auth|authtoken)/$": "admin/<app_label>/",
    "admin/^(?P<app_label>auth|authtoken|concerns)/$": "admin/<app_label>/",
    "admin/(?P<url>.*)$": "admin/<url>",
    # (issue 15: allauth's account pages, and the admin's app lists as they now stand)
    "admin/^(?P<app_label>concerns|auth|accounts)/$": "admin/<app_label>/",
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": "accounts/confirm-email/<key>/",
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": (
        "accounts/password/reset/key/<uidb36>-<key>/"
    ),
}


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(x for x in (namespace, p.namespace or "") if x)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
            continue
        raw = prefix + str(p.pattern)
        route = _REGEX_ROUTES.get(raw, raw)
        if isinstance(p.pattern, RegexPattern) and raw not in _REGEX_ROUTES:
            raise AssertionError(f"unknown regex URL pattern {raw!r}: add it to _REGEX_ROUTES")
        name = ":".join(x for x in (namespace, p.name or route) if x)
        yield Route(name, route, tuple(m["name"] for m in _PARAM.finditer(route)))


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def build_path(route: Route, values: dict[str, str]) -> str:
    """``values`` are already URL-encoded as they should appear on the wire."""
    return "/" + _PARAM.sub(lambda m: values[m["name"]], route.route)


# Hostile path values, as they appear on the wire.
BOGUS_TEXT = [
    "SU-0000-00000",
    "..",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "A" * 3000,
    quote("ünïcødé-✓-名前-🙂"),
    "%00",
    "SU-2026-00001%00",
    "%ED%A0%80",  # a lone surrogate, UTF-8 encoded
    "%FF%FE",  # not UTF-8 at all
    "SU-2026-00001%27%20OR%201%3D1--",
]
BOGUS_INT = ["0", "2147483648", "99999999999999999999999999"]

# --- hostile bodies --------------------------------------------------------------------------


def _field_names() -> list[str]:
    """Every field name any of our page forms posts, with its prefix."""
    names: set[str] = {"username", "login", "password", "code", "next", "page"}
    forms = [
        fr.RaiseConcernForm(user=_Anonymous()),
        fr.ReceiptForm(),
        fr.ReplyForm(),
        fr.WithdrawForm(),
        fr.SpeakUpAgainForm(),
        fr.DetrimentReportForm(),
        gf.MessageForm(prefix="message"),
        gf.NoteForm(prefix="note"),
        gf.DetrimentRecordForm(prefix="detriment"),
        gf.RevealForm(prefix="reveal"),
        gf.TriageForm(prefix="triage"),
        gf.OutcomeForm(prefix="outcome"),
        gf.AssignForm(prefix="assign", guardians=_NoGuardians()),
    ]
    for name in ("acknowledge", "start_investigation", "give_feedback", "close", "refer", "reopen"):
        forms.append(gf.transition_form_class(name)(prefix=name))
    for form in forms:
        names.update(form.add_prefix(n) for n in form.fields)
    # The API's JSON keys.
    names.update(
        {
            "body",
            "note",
            "reason",
            "guardian",
            "upheld",
            "findings",
            "actions",
            "lessons",
            "destination",
            "expected_version",
            "version",
            "answer",
            "comment",
            "organisation",
            "department",
            "categories",
            "standards",
            "description",
            "route",
            "reporter_role",
            "reporter_name",
            "reporter_contact",
        }
    )
    return sorted(names)


class _Anonymous:
    is_authenticated = False


class _NoGuardians:
    """Stands in for the guardian queryset: only the field names are wanted."""

    def all(self):
        return self

    def __iter__(self):
        return iter(())


GARBAGE = [
    "x" * 100_000,
    "nul\x00byte",
    "-1",
    "99999999999999999999999999999",
    "1e309",
    "NaN",
    "not-a-choice",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "ünïcødé ✓ 名前 🙂",
    "",
    "0",
]


def garbage_bodies(fields: list[str]) -> Iterator[tuple[str, dict]]:
    """(label, kwargs for Client.post) — form-encoded, raw bytes, multipart with files."""
    mixed = [(f, GARBAGE[i % len(GARBAGE)]) for i, f in enumerate(fields)]
    mixed += [(f, "second value") for f in fields[::3]]  # repeated keys
    yield (
        "mixed",
        {
            "data": urlencode(mixed),
            "content_type": "application/x-www-form-urlencoded",
        },
    )
    # Over-long values with NUL bytes and lone surrogates, as a browser could send them.
    raw = "&".join(f"{quote(f)}=%ED%A0%80%00{'y' * 20_001}%FF" for f in fields)
    yield "raw", {"data": raw, "content_type": "application/x-www-form-urlencoded"}
    # A file wherever text is expected (and a text file where a document is expected).
    files = {
        f: SimpleUploadedFile(f"{i}.exe", b"MZ\x00\x01" * 64, "application/x-msdownload")
        for i, f in enumerate(fields)
    }
    yield "files", {"data": files}


# Hostile query strings, for the pages that read them (queue filters, report periods, paging).
QUERY_KEYS = [
    "page", "org", "organisation", "period", "year", "quarter", "month", "from", "to",
    "version", "status", "category", "route", "assigned", "due", "sort", "per_page", "next",
    "table", "format", "limit", "offset", "cursor", "search", "ordering",
]  # fmt: skip
QUERY_VALUES = [
    ["99999999999999999999", "-1", "1e309", "0000-00", "2026-Q9", "2026-13", "NaN"],
    ["nul\x00byte", "%ED%A0%80", "x" * 5000, "' OR 1=1 --", "https://evil.example/", ""],
]


def hostile_queries() -> Iterator[tuple[str, dict]]:
    for n, values in enumerate(QUERY_VALUES):
        query = [
            (k, values[(i + j) % len(values)]) for i, k in enumerate(QUERY_KEYS) for j in (0, 1)
        ]
        raw = "&org=%ED%A0%80&quarter=%FF&version=%00"  # a lone surrogate, not UTF-8, a NUL
        yield f"query{n}", {"QUERY_STRING": urlencode(query) + raw}


def json_bodies(fields: list[str]) -> Iterator[tuple[str, dict]]:
    hostile = [
        {"nested": {"deeper": [1, 2, {"x": None}]}},
        10**30,
        -1,
        None,
        ["a", "b"],
        "x" * 100_000,
        "nul\x00byte",
        True,
        1.5,
        "\ud800",  # a lone surrogate, escaped in JSON
    ]
    body = {f: hostile[i % len(hostile)] for i, f in enumerate(fields)}
    yield "json", {"data": json.dumps(body), "content_type": "application/json"}
    yield "not-json", {"data": "{not json", "content_type": "application/json"}
    yield "json-array", {"data": "[1, 2, 3]", "content_type": "application/json"}


# --- what a role may see ----------------------------------------------------------------------


def actor_of(world: World, role: str):
    if role in {"anonymous", "receipt"}:
        if role == "receipt":
            return policies.ReceiptHolder(concern_id=world.anon_case.concern_id)
        return None
    return world.users[role]


def visible(world: World, role: str, route: Route, case) -> bool:
    """Whether ``role`` may see ``case`` through ``route`` (guardian or reporter pages)."""
    actor = actor_of(world, role)
    if "cases/" in route.route:
        return actor is not None and policies.may_view_case(actor, case)
    return actor is not None and policies.is_reporter_of(actor, case)


# --- the walk ---------------------------------------------------------------------------------

# The roles whose requests get past sign-in checks to the views' own parsing (the reporter's
# pages, the case pages, the API): they try every hostile path value; every other role tries a
# reference that does not exist.
DEEP_ROLES = {"reporter", "guardian"}

# Hostile bodies and queries are sent by one role of each kind: the other organisation's
# guardian and the other reporter are there for what they must NOT see, and the lead leaves
# the case pages' forms (the same forms) to the guardian.
NO_HOSTILE_ROLES = {"outsider_guardian", "other_reporter"}


def hostile_for(role: str, route: Route) -> bool:
    if role in NO_HOSTILE_ROLES or route.route.startswith("admin/"):
        return False  # (Django's own admin: walked with real and missing values only)
    return not (role == "lead" and route.route.startswith("cases/<"))


# Requests that end the session they are made in: the client is rebuilt after them.
SESSION_ENDERS = {"logout", "receipt_sign_out", "admin:logout"}


@dataclass
class Probe:
    path: str
    case: object | None  # the real case behind a reference, if any
    bogus: bool
    hostile: bool  # whether hostile bodies are posted too (not only GET and an empty POST)
    missing: bool = False  # the reference is one that does not exist
    template: str = ""  # the path with the reference left out, to compare like with like


def probes(world: World, route: Route, role: str) -> Iterator[Probe]:
    """A base set of real values, then each parameter varied alone (real and bogus).

    To stay fast, hostile bodies go only to one visible object per route (where they reach a
    form), and the hostile path values are tried by the DEEP_ROLES only. "SU-0000-00000" (a
    reference that does not exist) is tried by every role.
    """
    deep = role in DEEP_ROLES
    shown = [c for c in world.cases() if visible(world, role, route, c)]
    hidden = [c for c in world.cases() if not visible(world, role, route, c)]
    # One visible and one hidden case; for a guardian also a visible case they do not handle.
    cases = shown[:1] + hidden[:1]
    if role == "guardian" and "cases/" in route.route:
        cases.append(world.conf_case)
    real: dict[str, list[tuple[str, object | None]]] = {}
    for param in route.params:
        if param == "reference":
            real[param] = [(c.reference, c) for c in cases]
        elif param == "name":
            names = ["acknowledge", "refer", "reopen", "start_investigation", "give_feedback"]
            names += ["close", "withdraw"]
            real[param] = [(n, None) for n in names]
        elif param == "attachment_id":
            real[param] = [(str(world.attachment.pk), None), (str(world.other_attachment.pk), None)]
        elif param == "number":  # a case file's number within its case (issue 17)
            real[param] = [("1", None), ("2", None)]
        elif param == "notification_id":
            real[param] = [
                (str(world.notification.pk), None),
                (str(world.other_notification.pk), None),
            ]
        elif param == "table":
            real[param] = [("category", None), ("route", None), ("department", None)]
        elif param == "app_label":
            real[param] = [("auth", None), ("authtoken", None), ("concerns", None)]
        elif param in {"object_id", "id"}:
            real[param] = [(str(world.users["reporter"].pk), None)]
        elif param == "content_type_id":
            real[param] = [("1", None)]
        elif param == "url":
            real[param] = [("nothing-here/", None)]
        # (issue 15: API token ids, allauth's e-mail and reset keys, passkey ids)
        elif param == "token_id":
            real[param] = [("0" * 16, None)]
        elif param in {"key", "uidb36"}:
            real[param] = [("1-notakey", None)] if param == "key" else [("1", None)]
        elif param == "pk":
            real[param] = [("1", None)]
        # (issue 18: the set-up pages, the invitation link, a provider's sign-in)
        elif param == "code":
            real[param] = [("RX1", None)]
        elif param == "slug":
            real[param] = [("patient-safety", None)]
        elif param == "page":  # (issue 17: the raise journey's question pages)
            real[param] = [(slug, None) for slug in journey.BY_SLUG]
        elif param == "uidb64":
            real[param] = [("MQ", None)]
        elif param == "token":
            real[param] = [("notatoken-123", None)]
        elif param == "provider_id":
            real[param] = [("org", None)]
        else:
            raise AssertionError(f"no values for URL parameter {param!r} of {route.name}")
    if not route.params:
        yield Probe(build_path(route, {}), None, bogus=False, hostile=hostile_for(role, route))
        return
    missing = "SU-0000-00000"
    base = {p: vals[0] for p, vals in real.items()}
    seen: set[str] = set()
    for param in route.params:
        numeric = param.endswith("_id") or param == "id"
        bogus = BOGUS_INT if numeric else BOGUS_TEXT
        mine = bogus if deep else bogus[:1]
        variants = [(v, False) for v in real[param]] + [((b, None), True) for b in mine]
        for index, ((value, obj), is_bogus) in enumerate(variants):
            chosen = {**base, param: (value, obj)}
            wire = {
                p: (v if (p == param and is_bogus) else quote(v, safe=""))
                for p, (v, _) in chosen.items()
            }
            path = build_path(route, wire)
            if path in seen:
                continue
            seen.add(path)
            case = chosen.get("reference", (None, None))[1]
            first_of_kind = index == 0 or (param == "name" and index < 3)
            hostile = (
                not is_bogus
                and first_of_kind
                and hostile_for(role, route)
                and (case is None or visible(world, role, route, case))
            )
            template = build_path(
                route, {**wire, **({"reference": "{ref}"} if "reference" in wire else {})}
            )
            is_missing = param == "reference" and value == missing
            yield Probe(path, case, is_bogus, hostile, missing=is_missing, template=template)


FIELDS = _field_names()
HIDDEN_OK = {302, 401, 404, 405}


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "login" in response.get("Location", "")


@pytest.mark.parametrize("role", ROLES)
def test_no_url_answers_5xx_leaks_existence_or_half_writes(role, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Given the data set and a client acting as the role
    cache.clear()
    world = build_world()
    problems: list[str] = []

    def request(route: Route, probe: Probe, method: str, label: str, kwargs: dict) -> None:
        client = client_for(world, role)
        before = counts[0]
        response = getattr(client, method.lower())(probe.path, **kwargs)
        status = response.status_code
        where = f"{role} {method} {label} {route.name} {probe.path[:120]} -> {status}"
        if route.name in SESSION_ENDERS:
            world.clients.pop(role, None)
        # Then never a server error
        if status >= 500:
            problems.append(f"5xx: {where}")
            return
        # And a rejected write leaves no trace
        if status >= 400:
            after = row_counts() if method == "POST" else before
            if after != before:
                problems.append(f"half-written: {where}: {before} -> {after}")
        else:
            counts[0] = row_counts()  # it may have written, legitimately
        # And something you may not see looks exactly like something that does not exist
        key = (probe.template, method, label)
        if probe.missing:
            missing_status[key] = status
            refused_by_role[(route.name, method, label)] = status
        if probe.case is not None and not visible(world, role, route, probe.case):
            login = status == 302 and _is_login_redirect(response)
            hidden_seen.append((key, status, login, where, (route.name, method, label)))

    counts = [row_counts()]
    missing_status: dict[tuple[str, str, str], int] = {}
    refused_by_role: dict[tuple[str, str, str], int] = {}
    hidden_seen: list = []
    for route in all_routes():
        for probe in probes(world, route, role):
            request(route, probe, "GET", "", {})
            request(route, probe, "POST", "empty", {})
            if not probe.hostile:
                continue
            for label, extra in hostile_queries():
                request(route, probe, "GET", label, extra)
            bodies = json_bodies(FIELDS) if route.is_api else garbage_bodies(FIELDS)
            for label, kwargs in bodies:
                request(route, probe, "POST", label, kwargs)

    for key, status, login, where, by_route in hidden_seen:
        absent = missing_status.get(key)
        if absent is not None and absent != status:
            problems.append(f"differs from a missing one ({absent}): {where}")
        # A refusal by role alone (the same for a reference that does not exist) is no leak;
        # otherwise what you may not see is a 404, a sign-in redirect or a wrong method.
        role_level = status == 403 and refused_by_role.get(by_route) == 403
        if status == 302 and not login:
            problems.append(f"hidden object redirected elsewhere: {where}")
        elif status not in HIDDEN_OK and not role_level:
            problems.append(f"hidden object answered {status}: {where}")
    assert not problems, "\n".join(problems[:60]) + f"\n({len(problems)} problems)"


# --- one hostile parameter beside otherwise valid ones ----------------------------------------

REPORT_KEYS = ["org", "organisation", "version", "year", "month", "from", "to"]
QUEUE_KEYS = ["status", "category", "organisation", "sort", "per_page", "route", "due", "page"]
VALID_QUERIES = {
    "/reports/": ("period=quarter&quarter=2026-Q1", REPORT_KEYS),
    "/reports/export/category.csv": ("period=quarter&quarter=2026-Q1", REPORT_KEYS),
    "/reports/data-return.csv": ("quarter=2026-Q1", REPORT_KEYS),
    "/api/v1/reports/dashboard/": ("period=quarter&quarter=2026-Q1", REPORT_KEYS),
    "/api/v1/reports/data-return/": ("quarter=2026-Q1", REPORT_KEYS),
    "/cases/": ("status=received", QUEUE_KEYS),
    "/api/v1/cases/": ("status=received", QUEUE_KEYS),
}
BAD_VALUES = ["%00", "99999999999999999999", "%ED%A0%80"]


def test_one_hostile_parameter_beside_valid_ones_is_never_a_5xx(settings):
    # Given a lead guardian, who may see the queue, the reports and the data return
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world()
    client = client_for(world, "lead")
    problems = []
    # When each URL gets a valid query plus one hostile parameter (the walk above sends
    # hostile values everywhere at once, which an invalid period answers before the rest)
    for url, (valid, keys) in VALID_QUERIES.items():
        for key in keys:
            for value in BAD_VALUES:
                query = f"{valid}&{key}={value}"
                response = client.get(url, QUERY_STRING=query)
                # Then it is answered, never with a server error
                if response.status_code >= 500:
                    problems.append(f"{url}?{query} -> {response.status_code}")
    assert not problems, "\n".join(problems)


# --- every action in every state, with valid input ----------------------------------------------

STATES = ["received", "acknowledged", "investigating", "feedback_given", "closed"]


def _valid_case_posts(case, guardian_pk: int) -> dict[str, dict]:
    v = case.version
    return {
        "actions/acknowledge/": {"acknowledge-version": v},
        "actions/start_investigation/": {"start_investigation-version": v},
        "actions/give_feedback/": {"give_feedback-version": v, "give_feedback-message": "Done"},
        "actions/close/": {"close-version": v},
        "actions/reopen/": {"reopen-version": v, "reopen-note": "new evidence"},
        "actions/refer/": {"refer-version": v, "refer-destination": "hr", "refer-note": "HR"},
        "assign/": {"assign-version": v, "assign-guardian": guardian_pk},
        "messages/": {"message-body": "Hello again."},
        "outcome/": {"outcome-version": v, "outcome-upheld": "partly", "outcome-findings": "F"},
        "triage/": {"triage-version": v, "triage-categories": ["other"]},
        "detriment/": {"detriment-suffered": "no"},
        "identity/": {"reveal-reason": "needed"},
    }


REPORTER_POSTS = {
    "reply/": {"reply-body": "Me again."},
    "speak-up-again/": {"again-answer": "yes"},
    "detriment/": {"detriment-suffered": "unsure"},
    "withdraw/": {"withdraw-note": ""},
}


@pytest.mark.parametrize("state", STATES)
def test_every_action_in_every_state_is_done_or_refused_never_a_5xx(state, settings):
    # Given a confidential case driven through the real services to ``state``
    from tests.factories import case_in_state

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world()
    lead = world.users["lead"]
    case = case_in_state(world.conf_case, state, guardian=world.users["second_guardian"])
    guardian_client, reporter_client = client_for(world, "lead"), client_for(world, "reporter")
    problems = []

    def check(client, path: str, data: dict) -> None:
        before = row_counts()
        response = client.post(path, data)
        where = f"{state}: POST {path} -> {response.status_code}"
        if response.status_code >= 500:
            problems.append(where)
        elif response.status_code >= 400 and row_counts() != before:
            problems.append(f"half-written: {where}")

    # When the lead tries every action, each with input that is valid on its own (each with
    # the case's current version, on a fresh copy of the state), and the reporter every one
    for action in _valid_case_posts(case, lead.pk):
        case.refresh_from_db()
        check(
            guardian_client,
            f"/cases/{case.reference}/{action}",
            _valid_case_posts(case, lead.pk)[action],
        )
    for action, data in REPORTER_POSTS.items():
        check(reporter_client, f"/my-concerns/{case.reference}/{action}", data)
    # Then each is done (a redirect) or refused with a 4xx that changed nothing
    assert not problems, "\n".join(problems)


# --- malformed requests ------------------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"
XXE = "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>"
MALFORMED = {
    "broken multipart": {
        "data": b"--xyz\r\nnot a part",
        "content_type": "multipart/form-data; boundary=xyz",
    },
    "multipart without boundary": {"data": b"a=b", "content_type": "multipart/form-data"},
    "unknown charset": {"data": b"a=%FF%FE", "content_type": f"{FORM}; charset=nope"},
    "too many fields": {
        "data": "&".join(f"f{i}=x" for i in range(1200)).encode(),
        "content_type": FORM,
    },
    "json to a page": {"data": b'{"reply-body": "hi"}', "content_type": "application/json"},
    "xml": {"data": XXE.encode(), "content_type": "application/xml"},
}


def test_malformed_request_bodies_are_refused_cleanly(settings):
    # Given each kind of user at the pages that take their input
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world()
    ref = world.open_case.reference
    targets = [
        ("anonymous", "/raise/"),
        ("anonymous", "/receipt/"),
        ("receipt", "/receipt/concern/reply/"),
        ("reporter", f"/my-concerns/{ref}/reply/"),
        ("guardian", f"/cases/{ref}/messages/"),
        ("guardian", f"/cases/{ref}/actions/start_investigation/"),
        ("guardian", f"/cases/{ref}/triage/"),
        ("guardian", "/api/v1/cases/"),
        ("reporter", "/api/v1/concerns/"),
        ("anonymous", "/accounts/login/"),
    ]
    problems = []
    for role, path in targets:
        for label, kwargs in MALFORMED.items():
            before = row_counts()
            # When they send a malformed body
            response = client_for(world, role).generic("POST", path, **kwargs)
            # Then it is refused (or ignored) with a 4xx, and nothing was written
            if response.status_code >= 500:
                problems.append(f"{role} {label} {path} -> {response.status_code}")
            elif response.status_code >= 400 and row_counts() != before:
                problems.append(f"half-written: {role} {label} {path}")
    assert not problems, "\n".join(problems)
