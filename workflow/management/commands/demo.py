"""manage.py demo: load a realistic data set for trying Speak Up out.

Organisations with departments, users of every role, and a few hundred concerns raised over
the last 18 months in every state, all created through the real services (so every rule,
encryption and event of production applies). Times are then spread over the past for realism:
the case event chain hashes each event's time, so it is re-sealed after the times move and
``verify_case_log`` still passes.

Refuses to run unless DEBUG is on (or --force): it creates users with a known password.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import StringIO
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from concerns.models import (
    Category,
    Concern,
    Department,
    Organisation,
    ProfessionalGroup,
    RaisedElsewhere,
    ReporterRole,
    Route,
)
from concerns.roles import Role
from concerns.services import organisation_create, user_create
from workflow.management import demo_history as history
from workflow.management.demo_data import (
    DESCRIPTIONS,
    GUARDIAN_MESSAGES,
    LESSONS,
    NOTES,
    ORGANISATIONS,
    OUTCOME_TEXT,
    OUTCOMES_HOPED,
    REPORTER_REPLIES,
    REPORTERS,
    STAFF,
)
from workflow.models import (
    Case,
    CaseEvent,
    ReferralDestination,
)
from workflow.policies import ReceiptHolder
from workflow.services import handling, notices, raising, transitions
from workflow.services import reporter as reporter_actions
from workflow.signals import case_event_recorded

# Demo staff sign in with a second step, as all staff must: one TOTP key for all of them,
# printed by ./scripts/serve (add it to an authenticator app), or `manage.py demo_code`.
DEMO_TOTP_SECRET_DEFAULT = "SPEAKUPDEMOTOTPKEYFORLOCALUSE234"  # noqa: S105 (the demo only)


def demo_totp_secret() -> str:
    return os.environ.get("SPEAKUP_DEMO_TOTP_SECRET") or DEMO_TOTP_SECRET_DEFAULT


DEMO_ATTACHMENT = raising.NewAttachment(
    filename="rota-week-14.pdf",
    content_type="application/pdf",
    data=b"%PDF-1.4\n% Speak Up demo attachment: a placeholder rota\n%%EOF\n",
)

# How many of each final state, in proportion.
STATE_MIX = [
    ("closed", 42),
    ("feedback_given", 8),
    ("investigating", 14),
    ("acknowledged", 7),
    ("received", 8),
    ("referred", 7),
    ("withdrawn", 5),
    ("reopened", 3),
    ("reopened_investigating", 3),
    ("closed_after_reopen", 3),
]


@dataclass
class People:
    guardians: dict[str, list[Any]] = field(default_factory=dict)  # org code -> guardians
    lead: Any = None
    reporters: list[Any] = field(default_factory=list)


class Command(BaseCommand):
    help = "Load a realistic demo data set (DEBUG only, unless --force)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any concern exists"
        )
        parser.add_argument("--concerns", type=int, default=300, help="How many (default 300)")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "The demo creates users with a known password: it runs only with DEBUG on. "
                "Use --force if you really mean to load it here."
            )
        had_concerns = Concern.objects.exists()
        if options["if_empty"] and had_concerns:
            self.stdout.write("Concerns already exist: demo data not loaded.")
            _enrol_demo_staff()
            return
        password = os.environ.get("SPEAKUP_DEMO_PASSWORD") or "speakup-demo"
        rng = random.Random(options["seed"])
        newest = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
        first_event = (newest or 0) + 1
        with _silenced_notifications(), transaction.atomic():
            cast = _people(password)
            _enrol_demo_staff()
            categories = {c.slug: c for c in Category.objects.prefetch_related("standards")}
            now = timezone.now()
            plans = _state_plan(options["concerns"], rng)
            for index, state in enumerate(plans):
                _one_concern(index, state, cast, categories, rng, now)
            if not had_concerns:
                history.renumber_by_year()
            _history_is_not_news(first_event)
        self._print_sign_ins(password, len(plans))

    def _print_sign_ins(self, password: str, count: int) -> None:
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {count} concerns."))
        self.stdout.write(f"Sign in with any of these (password: {password}):")
        for username, role in [
            ("gemma", "guardian"),
            ("leo", "lead guardian"),
            ("cara", "committee member"),
            ("rob", "reporter"),
            ("ada", "administrator"),
        ]:
            self.stdout.write(f"  {username:<6} {role}")
        self.stdout.write(
            f"Staff then give a code: authenticator key {demo_totp_secret()}, "
            "or run ./manage.py demo_code"
        )


@contextlib.contextmanager
def _silenced_notifications() -> Iterator[None]:
    """The demo is history: nobody should be mailed or pinged about it (role grants to the
    demo staff included, when the accounts app is there; it is not imported by name)."""
    saved = case_event_recorded.receivers
    case_event_recorded.receivers = []
    case_event_recorded.sender_receivers_cache.clear()
    quiet = None
    if apps.is_installed("accounts"):
        quiet = importlib.import_module("accounts.context").announcements_off.set(True)
    try:
        yield
    finally:
        case_event_recorded.receivers = saved
        case_event_recorded.sender_receivers_cache.clear()
        if quiet is not None:
            quiet.var.reset(quiet)


def _enrol_demo_staff() -> None:
    """Every demo member of staff enrolled in TOTP with the demo key (staff must use MFA)."""
    if not apps.is_installed("allauth.mfa"):
        return
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.contrib.auth import get_user_model

    names = [username for username, role, *_ in STAFF if role != Role.REPORTER]
    for user in get_user_model().objects.filter(username__in=names):
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, demo_totp_secret())


def _history_is_not_news(first_event: int) -> None:
    """Let the apps that follow case events know these are history, without importing them.

    (workflow/ never imports notifications/ or reports/.) The notification planner would
    otherwise mail a notification for every demo event; report rollups are rebuilt once
    rather than per event.
    """
    try:
        planned = apps.get_model("notifications", "PlannedEvent")
    except LookupError:
        planned = None
    if planned is not None:
        event_ids = CaseEvent.objects.filter(pk__gte=first_event).values_list("pk", flat=True)
        planned.objects.bulk_create(
            (planned(event_id=pk) for pk in event_ids.iterator()),
            batch_size=1000,
            ignore_conflicts=True,
        )
    if "rebuild_rollups" in get_commands():
        call_command("rebuild_rollups", stdout=StringIO())


def _people(password: str) -> People:
    hashed = make_password(password)
    orgs = {}
    for code, name, kind, departments in ORGANISATIONS:
        orgs[code] = organisation_create(
            code=code,
            name=name,
            kind=kind,
            guardian_contact=f"Email ftsu.{code.lower()}@example.nhs.uk or call 0113 496 0000 "
            "(Monday to Friday, 9am to 5pm). You can ask to meet a guardian in person.",
        )
        for department in departments:
            Department.objects.get_or_create(organisation=orgs[code], name=department)
    cast = People(guardians={code: [] for code in orgs})
    for username, role, codes, first, last in STAFF:
        user = user_create(
            username=username,
            password=password,
            password_hash=hashed,
            role=role,
            organisations=[orgs[c] for c in codes],
            email=f"{username}@example.nhs.uk",
            first_name=first,
            last_name=last,
        )
        if role == Role.GUARDIAN:
            for code in codes:
                cast.guardians[code].append(user)
        elif role == Role.LEAD_GUARDIAN:
            cast.lead = user
    for username, first, last in REPORTERS:
        cast.reporters.append(
            user_create(
                username=username,
                password=password,
                password_hash=hashed,
                role=Role.REPORTER,
                email=f"{username}@example.ac.uk",
                first_name=first,
                last_name=last,
            )
        )
    return cast


def _state_plan(count: int, rng: random.Random) -> list[str]:
    total = sum(weight for _, weight in STATE_MIX)
    plan = [s for s, weight in STATE_MIX for _ in range(max(1, round(count * weight / total)))]
    rng.shuffle(plan)
    return plan[:count]


def _route(index: int, rng: random.Random) -> str:
    # At most ~60 anonymous concerns: each costs a production-strength scrypt hash.
    if index % 5 == 0 and index < 300:
        return Route.ANONYMOUS
    return rng.choice([Route.OPEN, Route.CONFIDENTIAL, Route.CONFIDENTIAL])


def _one_concern(
    index: int,
    state: str,
    cast: People,
    categories: dict[str, Category],
    rng: random.Random,
    now: dt.datetime,
) -> None:
    code = rng.choice(["RX1", "RX1", "RY2", "RY2", "RZ3", "M85001"])
    organisation = Organisation.objects.get(code=code)
    department = rng.choice(list(Department.objects.filter(organisation=organisation)))
    slugs = rng.sample(list(DESCRIPTIONS), k=rng.choice([1, 1, 1, 2]))
    route = _route(index, rng)
    reporter = None if route == Route.ANONYMOUS else rng.choice(cast.reporters)
    new = raising.NewConcern(
        organisation=organisation,
        department=department,
        categories=[categories[s] for s in slugs],
        description=rng.choice(DESCRIPTIONS[slugs[0]]).format(dept=department.name),
        route=route,
        reporter_role=rng.choice(ReporterRole.values + [ReporterRole.LEARNER] * 3),
        professional_group=rng.choice(ProfessionalGroup.values),
        raised_elsewhere=rng.choice(RaisedElsewhere.values),
        outcome_hoped=rng.choice(OUTCOMES_HOPED),
        reporter_name=reporter.get_full_name() if reporter else "",
        reporter_contact=reporter.email if reporter else "",
        attachments=[DEMO_ATTACHMENT] if rng.random() < 0.07 else [],
    )
    raised = raising.concern_raise(concern=new, reporter=reporter)
    case = raised.case
    self_actor = ReceiptHolder(concern_id=raised.concern.pk) if reporter is None else reporter
    guardian = rng.choice(cast.guardians[code])
    _drive(case, state, guardian, cast.lead, self_actor, rng)
    history.spread_in_time(case.pk, state, rng, now)


def _drive(case: Case, state: str, guardian: Any, lead: Any, reporter: Any, rng: random.Random):
    """Move the case to ``state`` through the services, with conversation along the way."""

    if state == "received":
        if rng.random() < 0.4:
            handling.case_assign(case=case, guardian=guardian, actor=lead)
        return
    if state == "withdrawn":
        if rng.random() < 0.5:
            handling.case_assign(case=case, guardian=guardian, actor=lead)
            transitions.case_acknowledge(case=case, actor=guardian, note="Acknowledged.")
        transitions.case_withdraw(
            case=case, actor=reporter, reason="I no longer wish to pursue this."
        )
        return
    handling.case_assign(case=case, guardian=guardian, actor=rng.choice([lead, guardian]))
    transitions.case_acknowledge(
        case=case, actor=guardian, note="Thank you, we have received your concern."
    )
    if case.route == Route.CONFIDENTIAL and rng.random() < 0.3:
        handling.case_identity_reveal(
            case=case, actor=guardian, reason="Needed to arrange a confidential meeting."
        )
    if rng.random() < 0.15:
        extra = Category.objects.get(slug="education-quality")
        handling.case_triage_update(
            case=case,
            actor=guardian,
            categories=[*case.concern.categories.all(), extra],
            standards=list(case.concern.standards.all()),
            note="Also bears on education quality.",
        )
    if state == "acknowledged":
        return
    if state == "referred":
        transitions.case_refer(
            case=case,
            actor=guardian,
            destination=rng.choice(ReferralDestination.values),
            reason="Better handled through this route; the reporter agreed.",
        )
        return
    transitions.case_investigate(case=case, actor=guardian, note="Gathering information.")
    _converse(case, guardian, reporter, rng)
    if state == "investigating":
        return
    _close_the_loop(case, guardian, reporter, rng, close=state != "feedback_given")
    if state in {"feedback_given", "closed"}:
        return
    transitions.case_reopen(case=case, actor=guardian, reason="New information from the reporter.")
    if state == "reopened":
        return
    transitions.case_investigate(case=case, actor=guardian, note="Looking again.")
    if state == "reopened_investigating":
        return
    transitions.case_give_feedback(
        case=case,
        actor=guardian,
        note="Feedback after reopening.",
        message="We looked again and our findings stand.",
    )
    transitions.case_close(case=case, actor=guardian, note="Closed again.")


def _converse(case: Case, guardian: Any, reporter: Any, rng: random.Random) -> None:
    for _ in range(rng.randint(1, 3)):
        handling.case_message_send(case=case, actor=guardian, body=rng.choice(GUARDIAN_MESSAGES))
        if rng.random() < 0.7:
            reporter_actions.concern_message_reply(
                case=case, actor=reporter, body=rng.choice(REPORTER_REPLIES)
            )
    if rng.random() < 0.6:
        handling.case_note_add(case=case, actor=guardian, body=rng.choice(NOTES))
    if rng.random() < 0.2:
        handling.case_detriment_record(
            case=case,
            actor=guardian,
            suffered=rng.choice(["yes", "no", "unsure"]),
            note="Reporter mentioned changes to their shifts since raising this.",
        )


def _close_the_loop(
    case: Case, guardian: Any, reporter: Any, rng: random.Random, *, close: bool
) -> None:
    upheld, findings, actions = rng.choice(OUTCOME_TEXT)
    handling.case_outcome_record(
        case=case,
        actor=guardian,
        upheld=upheld,
        findings=findings,
        actions=actions,
        lessons=rng.choice(LESSONS),
    )
    transitions.case_give_feedback(
        case=case, actor=guardian, note="Fed back.", message=GUARDIAN_MESSAGES[-1]
    )
    if not close:
        return
    transitions.case_close(
        case=case, actor=guardian, note="Closed.", message=f"{findings} {actions}".strip()
    )
    if rng.random() < 0.7:
        reporter_actions.concern_speak_up_again_answer(
            case=case,
            actor=reporter,
            answer=rng.choice(["yes", "yes", "yes", "maybe", "no", "dont_know"]),
            comment=rng.choice(["", "It took a while but I felt listened to.", ""]),
        )
    if rng.random() < 0.25:
        # The answer to the 3-month follow-up question, asked as the schedule would.
        notices.case_follow_up_ask(case=case, months=3)
        reporter_actions.concern_detriment_report(
            case=case, actor=reporter, suffered=rng.choice(["no", "no", "yes", "unsure"])
        )
