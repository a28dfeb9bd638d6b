"""Every write to a concern or case. Keyword-only, typed, atomic; each leaves a case event.

Notifications are not sent from here: the event recorded in the same transaction is the
outbox that notifications/ delivers from after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed

from concerns.models import (
    Attachment,
    Category,
    Concern,
    Department,
    Organisation,
    ProfessionalGroup,
    QualityStandard,
    RaisedElsewhere,
    ReferenceCounter,
    ReporterRole,
    Route,
)
from concerns.receipts import receipt_generate, receipt_hash
from config import rules as config_rules
from workflow import policies, timeliness
from workflow.errors import (
    CaseChanged,
    CaseNotFound,
    InvalidInput,
    NotPermitted,
    TransitionRefused,
)
from workflow.events import case_event_record
from workflow.models import (
    Case,
    CaseEvent,
    Detriment,
    DetrimentAnswer,
    DetrimentSource,
    DueKind,
    EventKind,
    InternalNote,
    Message,
    MessageKind,
    Outcome,
    Side,
    SpeakUpAgain,
    SpeakUpAgainResponse,
    Status,
    Upheld,
)
from workflow.policies import Actor, ReceiptHolder


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class RaisedConcern:
    concern: Concern
    case: Case
    receipt_code: str | None  # anonymous only; shown once and never stored


def _require_choice(value: str, choices: type, what: str) -> None:
    if value not in choices.values:
        raise InvalidInput(f"Choose a valid {what}.")


def _require_text(value: str, what: str) -> None:
    if not value or not value.strip():
        raise InvalidInput(f"Enter {what}.")


def _check_attachments(attachments: Sequence[NewAttachment]) -> None:
    policy = config_rules.attachments()
    if len(attachments) > policy.max_files:
        raise InvalidInput(f"Attach at most {policy.max_files} files.")
    for a in attachments:
        if a.content_type not in policy.allowed_types:
            raise InvalidInput("Attach a PDF, an image or an Office document.")
        if len(a.data) > policy.max_bytes:
            raise InvalidInput("Each attachment must be 10 MB or smaller.")


def _next_reference(year: int) -> str:
    """The year's next reference, from one upsert that increments the counter and returns it.

    The counter's row lock lasts until the enclosing transaction ends, so every raise queues
    on it: ``concern_raise`` takes it in its own short transaction, before the rest. A raise
    that then fails leaves a gap in the numbers, as a database sequence would.
    """
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last) VALUES (%s, 1) "  # noqa: S608 (our table name)
            f"ON CONFLICT (year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [year],
        )
        (last,) = cursor.fetchone()
    return f"SU-{year}-{last:05d}"


def _link_categories(concern_id: int, category_ids: set[int]) -> None:
    """Link a new concern to its categories in one plain statement (the concern is new, so
    there are no existing links to read; the ORM's bulk_create cost twice as much)."""
    link = Concern.categories.through._meta
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(link.db_table)} "  # noqa: S608 (our names only)
            f"({q(link.get_field('concern').column)}, {q(link.get_field('category').column)}) "
            f"VALUES {', '.join(['(%s, %s)'] * len(category_ids))}",
            [value for pk in sorted(category_ids) for value in (concern_id, pk)],
        )


def _link_standards(concern_id: int, category_ids: set[int], standard_ids: set[int]) -> None:
    """Tag a new concern with the standards its categories imply, and any chosen, in one
    statement (the database reads the categories' standards itself)."""
    link, implied = Concern.standards.through._meta, Category.standards.through._meta
    q = connection.ops.quote_name
    to_concern = q(link.get_field("concern").column)
    to_standard = q(link.get_field("qualitystandard").column)
    chosen = (
        f" UNION SELECT CAST(%s AS bigint), id FROM {q(QualityStandard._meta.db_table)} "  # noqa: S608
        f"WHERE id IN ({', '.join(['%s'] * len(standard_ids))})"
        if standard_ids
        else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(link.db_table)} ({to_concern}, {to_standard}) "  # noqa: S608
            f"SELECT DISTINCT CAST(%s AS bigint), {q(implied.get_field('qualitystandard').column)} "
            f"FROM {q(implied.db_table)} "
            f"WHERE {q(implied.get_field('category').column)} "
            f"IN ({', '.join(['%s'] * len(category_ids))}){chosen}",
            [concern_id, *category_ids, *([concern_id, *standard_ids] if standard_ids else [])],
        )


def concern_raise(
    *,
    organisation: Organisation,
    categories: Sequence[Category],
    description: str,
    route: str,
    reporter_role: str,
    reporter: AbstractBaseUser | None = None,
    department: Department | None = None,
    standards: Iterable[QualityStandard] = (),
    professional_group: str = "not_said",
    raised_elsewhere: str = "not_said",
    outcome_hoped: str = "",
    reporter_name: str = "",
    reporter_contact: str = "",
    email_updates: bool = False,
    attachments: Sequence[NewAttachment] = (),
) -> RaisedConcern:
    _require_choice(route, Route, "way to raise your concern")
    _require_choice(reporter_role, ReporterRole, "role")
    _require_choice(professional_group, ProfessionalGroup, "professional group")
    _require_choice(raised_elsewhere, RaisedElsewhere, "answer about raising it elsewhere")
    _require_text(description, "what happened")
    if not categories:
        raise InvalidInput("Choose what your concern is about.")
    if not organisation.is_active:
        raise InvalidInput("Choose an organisation from the list.")
    _check_attachments(attachments)
    if route == Route.ANONYMOUS:
        # Nothing that could identify an anonymous reporter is kept, whatever was passed.
        reporter, reporter_name, reporter_contact, email_updates = None, "", "", False
        receipt_code = receipt_generate()
        stored_receipt = receipt_hash(receipt_code)
    else:
        if reporter is None or not reporter.is_authenticated:
            raise NotPermitted("Sign in to raise a concern openly or confidentially.")
        receipt_code, stored_receipt = None, None
    if department is not None and department.organisation_id != organisation.pk:
        raise InvalidInput("That department is not part of the organisation chosen.")
    now = timezone.now()
    reference = _next_reference(now.year)
    with transaction.atomic():
        concern = Concern.objects.create(
            reference=reference,
            organisation=organisation,
            department=department,
            route=route,
            reporter_role=reporter_role,
            professional_group=professional_group,
            raised_elsewhere=raised_elsewhere,
            description=description,
            outcome_hoped=outcome_hoped,
            reporter=reporter,
            reporter_name=reporter_name,
            reporter_contact=reporter_contact,
            email_updates=email_updates,
            receipt_hash=stored_receipt,
            raised_at=now,
        )
        category_ids = {c.pk for c in categories}
        _link_categories(concern.pk, category_ids)
        _link_standards(concern.pk, category_ids, {s.pk for s in standards})
        Attachment.objects.bulk_create(
            Attachment(
                concern=concern,
                filename=a.filename,
                content_type=a.content_type,
                size=len(a.data),
                data=a.data,
            )
            for a in attachments
        )
        ack_due = timeliness.acknowledge_due(now)
        case = Case.objects.create(
            concern=concern,
            reference=reference,
            organisation=organisation,
            route=route,
            raised_at=now,
            last_activity_at=now,
            acknowledge_due_at=ack_due,
            due_kind=DueKind.ACKNOWLEDGE,
            due_at=ack_due,
        )
        case_event_record(
            case=case,
            kind=EventKind.RAISED,
            actor=reporter,
            actor_role="reporter",
            to_state=Status.RECEIVED,
            first=True,
        )
        return RaisedConcern(concern=concern, case=case, receipt_code=receipt_code)


def _lock(case: Case, expected_version: int | None) -> Case:
    """Re-read the case under a row lock; refuse if someone changed it since it was shown."""
    try:
        locked = Case.objects.select_for_update().select_related("concern").get(pk=case.pk)
    except Case.DoesNotExist as exc:
        raise CaseNotFound("Case not found.") from exc
    if expected_version is not None and locked.version != expected_version:
        raise CaseChanged()
    return locked


def _touch(case: Case, *fields: str) -> None:
    case.version += 1
    case.last_activity_at = timezone.now()
    try:
        case.save(update_fields=["version", "last_activity_at", "log_head", *fields])
    except ConcurrentTransition as exc:
        raise CaseChanged() from exc


def _require_handler(actor: Actor, case: Case) -> None:
    if not policies.may_view_case(actor, case):
        raise CaseNotFound("Case not found.")
    if not policies.may_handle_case(actor, case):
        raise NotPermitted("Only the assigned guardian or a lead guardian can do that.")


TRANSITIONS = (
    "acknowledge",
    "start_investigation",
    "give_feedback",
    "close",
    "refer",
    "withdraw",
    "reopen",
)
REFUSALS = {
    "acknowledge": "Assign a guardian before acknowledging.",
    "start_investigation": "Assign a guardian before starting the investigation.",
    "give_feedback": "Write your feedback to the reporter.",
    "close": "Record the outcome before closing.",
    "refer": "Choose where the concern is referred to and give a reason.",
    "withdraw": "This concern can no longer be withdrawn.",
    "reopen": "Give a reason for reopening.",
}


@transaction.atomic
def case_transition(
    *,
    case: Case,
    name: str,
    actor: Actor,
    note: str = "",
    expected_version: int | None = None,
    referral_destination: str = "",
    referral_name_shared: bool = False,
    message: str = "",
) -> Case:
    """Move the case by one transition.

    ``message`` is written to the reporter with the move: the feedback itself for
    give_feedback (required), an outcome summary for close, and what to expect for refer
    (both optional). ``note`` stays in the staff timeline.
    """
    if name not in TRANSITIONS:
        raise InvalidInput(f"There is no action called '{name}'.")
    case = _lock(case, expected_version)
    if not (policies.may_view_case(actor, case) or policies.is_reporter_of(actor, case)):
        raise CaseNotFound("Case not found.")
    method = getattr(case, name)
    # Order matters: the state first, then who may, and only then the conditions, so that
    # someone who may not act learns nothing about the case's progress from the answer.
    if not can_proceed(method, check_conditions=False):
        if name == "withdraw":
            raise TransitionRefused("This concern can no longer be withdrawn.")
        raise TransitionRefused(
            f"This case is {case.get_status_display().lower()}: that action is not available."
        )
    if not method._django_fsm.has_transition_perm(case, case.status, actor):
        raise NotPermitted(
            "Only the reporter can withdraw a concern."
            if name == "withdraw"
            else "Only the assigned guardian or a lead guardian can do that."
        )
    if name == "refer":
        case.referral_destination, case.referral_reason = referral_destination, note
        if referral_name_shared and case.route == Route.ANONYMOUS:
            raise InvalidInput("An anonymous reporter's name is not known: it cannot be passed on.")
        case.referral_name_shared = referral_name_shared
    if name == "reopen":
        case.reopen_reason = note
    if name == "reopen" and case.content_erased_at is not None:
        raise TransitionRefused(
            "This case's content was erased under the retention rule: it cannot be reopened. "
            "Raise a new concern instead."
        )
    if name == "give_feedback" and not message.strip():
        raise TransitionRefused(REFUSALS[name])
    written = None
    if name in _WRITTEN_TO_REPORTER and message.strip():
        # Written before the conditions are checked: feedback's condition is this message.
        # A refusal below rolls it back with everything else.
        written = _guardian_message(case, actor, kind=_WRITTEN_TO_REPORTER[name], body=message)
    if not can_proceed(method):
        raise TransitionRefused(REFUSALS[name])
    from_state = case.status
    method()
    role = "reporter" if name == "withdraw" else "guardian"
    case_event_record(
        case=case,
        kind=EventKind.TRANSITION,
        actor=actor,
        actor_role=role,
        from_state=from_state,
        to_state=case.status,
        note=note,
    )
    if name == "refer":
        case_event_record(
            case=case,
            kind=EventKind.REFERRAL,
            actor=actor,
            actor_role=role,
            note=case.get_referral_destination_display(),
        )
    if written is not None:
        case_event_record(
            case=case, kind=EventKind.MESSAGE_TO_REPORTER, actor=actor, actor_role="guardian"
        )
    if name == "close" and not case.messages.filter(kind=MessageKind.SPEAK_UP_AGAIN).exists():
        # Asked once per concern: closing again after a reopen does not ask again.
        _ask_speak_up_again(case)
    _touch(case, *_TRANSITION_FIELDS)
    return case


_WRITTEN_TO_REPORTER = {
    "give_feedback": MessageKind.FEEDBACK,
    "close": MessageKind.OUTCOME,
    "refer": MessageKind.REFERRAL,
}


def _guardian_message(case: Case, actor: Actor, *, kind: str, body: str) -> Message:
    message = Message.objects.create(
        case=case, side=Side.GUARDIAN, kind=kind, author=actor, body=body
    )
    case.last_guardian_message_at = message.created_at
    return message


_TRANSITION_FIELDS = (
    "status",
    "acknowledged_at",
    "first_feedback_at",
    "closed_at",
    "reopened_at",
    "due_kind",
    "due_at",
    "feedback_due_at",
    "referral_destination",
    "referral_reason",
    "referral_name_shared",
    "reopen_reason",
    "last_guardian_message_at",
)


def _ask_speak_up_again(case: Case) -> None:
    Message.objects.create(
        case=case,
        side=Side.SYSTEM,
        kind=MessageKind.SPEAK_UP_AGAIN,
        body="Your concern has been closed. Given your experience, would you speak up again? "
        "Your answer helps us make speaking up safer.",
    )


def case_available_transitions(*, case: Case, actor: Actor) -> list[str]:
    """The actions this person could take right now (conditions met and permitted)."""
    names = []
    for name in TRANSITIONS:
        if name == "reopen" and case.content_erased_at is not None:
            continue  # nothing left to reopen (workflow.retention)
        method = getattr(case, name)
        # These ask for their reason or text in the same form, so offer them regardless.
        check_conditions = name not in {"refer", "reopen", "give_feedback"}
        if can_proceed(method, check_conditions=check_conditions) and (
            method._django_fsm.has_transition_perm(case, case.status, actor)
        ):
            names.append(name)
    return names


@transaction.atomic
def case_assign(
    *,
    case: Case,
    guardian: AbstractBaseUser,
    actor: AbstractBaseUser,
    expected_version: int | None = None,
) -> Case:
    case = _lock(case, expected_version)
    if not policies.may_view_case(actor, case):
        raise CaseNotFound("Case not found.")
    if not policies.may_assign(actor, case, guardian):
        raise NotPermitted("You cannot assign this case to that person.")
    if case.assigned_guardian_id == guardian.pk:
        return case
    previous = case.assigned_guardian
    case.assigned_guardian = guardian
    note = guardian.get_full_name() or guardian.get_username()
    if previous is not None:
        note = f"{previous.get_full_name() or previous.get_username()} → {note}"
    case_event_record(
        case=case, kind=EventKind.ASSIGNED, actor=actor, actor_role="guardian", note=note
    )
    _touch(case, "assigned_guardian")
    return case


@transaction.atomic
def case_message_send(*, case: Case, actor: AbstractBaseUser, body: str) -> Message:
    """A guardian writes to the reporter."""
    _require_text(body, "a message")
    case = _lock(case, None)
    _require_handler(actor, case)
    message = Message.objects.create(case=case, side=Side.GUARDIAN, author=actor, body=body)
    case.last_guardian_message_at = message.created_at
    case_event_record(
        case=case, kind=EventKind.MESSAGE_TO_REPORTER, actor=actor, actor_role="guardian"
    )
    _touch(case, "last_guardian_message_at")
    return message


@transaction.atomic
def concern_message_reply(*, case: Case, actor: Actor, body: str) -> Message:
    """The reporter (signed in, or holding the receipt) answers in their conversation."""
    _require_text(body, "a message")
    case = _lock(case, None)
    if not policies.is_reporter_of(actor, case):
        raise CaseNotFound("Concern not found.")
    author = None if isinstance(actor, ReceiptHolder) else actor
    message = Message.objects.create(case=case, side=Side.REPORTER, author=author, body=body)
    case_event_record(
        case=case, kind=EventKind.MESSAGE_FROM_REPORTER, actor=actor, actor_role="reporter"
    )
    _touch(case)
    return message


@transaction.atomic
def case_note_add(*, case: Case, actor: AbstractBaseUser, body: str) -> InternalNote:
    _require_text(body, "a note")
    case = _lock(case, None)
    # Any guardian who may see the case may add to its notes (a colleague covering leave,
    # say); moving the case stays with the assigned guardian and the leads.
    if not policies.may_view_case(actor, case):
        raise CaseNotFound("Case not found.")
    note = InternalNote.objects.create(case=case, author=actor, body=body)
    case_event_record(case=case, kind=EventKind.NOTE, actor=actor, actor_role="guardian")
    _touch(case)
    return note


@transaction.atomic
def case_outcome_record(
    *,
    case: Case,
    actor: AbstractBaseUser,
    upheld: str,
    findings: str,
    actions: str = "",
    lessons: str = "",
    expected_version: int | None = None,
) -> Outcome:
    _require_choice(upheld, Upheld, "answer to whether the concern was upheld")
    _require_text(findings, "what was found")
    case = _lock(case, expected_version)
    _require_handler(actor, case)
    if case.status in {Status.WITHDRAWN, Status.REFERRED}:
        raise TransitionRefused("An outcome cannot be recorded on a withdrawn or referred case.")
    outcome, _ = Outcome.objects.update_or_create(
        case=case,
        defaults={
            "upheld": upheld,
            "findings": findings,
            "actions": actions,
            "lessons": lessons,
            "recorded_by": actor,
            "recorded_at": timezone.now(),
        },
    )
    case_event_record(
        case=case,
        kind=EventKind.OUTCOME,
        actor=actor,
        actor_role="guardian",
        note=outcome.get_upheld_display(),
    )
    _touch(case)
    return outcome


@transaction.atomic
def case_detriment_record(
    *,
    case: Case,
    actor: Actor,
    suffered: str,
    note: str = "",
    source: str = DetrimentSource.GUARDIAN,
) -> Detriment:
    _require_choice(suffered, DetrimentAnswer, "answer about detriment")
    _require_choice(source, DetrimentSource, "source")
    case = _lock(case, None)
    if source == DetrimentSource.GUARDIAN:
        _require_handler(actor, case)
        role = "guardian"
    else:
        if not policies.is_reporter_of(actor, case):
            raise CaseNotFound("Concern not found.")
        role = "reporter"
    detriment = Detriment.objects.create(case=case, suffered=suffered, source=source, note=note)
    case_event_record(
        case=case,
        kind=EventKind.DETRIMENT,
        actor=actor,
        actor_role=role,
        note=detriment.get_suffered_display(),
    )
    _touch(case)
    return detriment


@transaction.atomic
def case_triage_update(
    *,
    case: Case,
    actor: AbstractBaseUser,
    categories: Sequence[Category],
    standards: Sequence[QualityStandard],
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    case = _lock(case, expected_version)
    _require_handler(actor, case)
    if not categories:
        raise InvalidInput("Choose at least one category.")
    before = sorted(case.concern.categories.values_list("slug", flat=True))
    case.concern.categories.set(categories)
    case.concern.standards.set(standards)
    after = sorted(c.slug for c in categories)
    summary = f"categories {', '.join(before)} → {', '.join(after)}; standards " + ", ".join(
        sorted(s.code for s in standards)
    )
    case_event_record(
        case=case,
        kind=EventKind.TRIAGE,
        actor=actor,
        actor_role="guardian",
        note=f"{summary}. {note}".strip(),
    )
    _touch(case)
    return case


@dataclass(frozen=True)
class RevealedIdentity:
    name: str
    contact: str


@transaction.atomic
def case_identity_reveal(*, case: Case, actor: AbstractBaseUser, reason: str) -> RevealedIdentity:
    case = _lock(case, None)
    if not policies.may_view_case(actor, case):
        raise CaseNotFound("Case not found.")
    if not policies.may_reveal_identity(actor, case):
        raise NotPermitted("Only the assigned guardian or a lead guardian can reveal this.")
    if not reason.strip():
        raise InvalidInput("Give a reason for revealing the reporter's identity.")
    case_event_record(
        case=case, kind=EventKind.IDENTITY_VIEWED, actor=actor, actor_role="guardian", note=reason
    )
    _touch(case)
    return RevealedIdentity(case.concern.reporter_name, case.concern.reporter_contact)


@transaction.atomic
def concern_speak_up_again_answer(
    *, case: Case, actor: Actor, answer: str, comment: str = ""
) -> SpeakUpAgainResponse:
    _require_choice(answer, SpeakUpAgain, "answer")
    case = _lock(case, None)
    if not policies.is_reporter_of(actor, case):
        raise CaseNotFound("Concern not found.")
    if (
        case.status != Status.CLOSED
        and not case.messages.filter(kind=MessageKind.SPEAK_UP_AGAIN).exists()
    ):
        raise TransitionRefused("We ask this once your concern has been closed.")
    response, _ = SpeakUpAgainResponse.objects.update_or_create(
        case=case, defaults={"answer": answer, "comment": comment, "answered_at": timezone.now()}
    )
    case_event_record(
        case=case,
        kind=EventKind.SPEAK_UP_AGAIN,
        actor=actor,
        actor_role="reporter",
        note=response.get_answer_display(),
    )
    _touch(case)
    return response


@transaction.atomic
def concern_email_updates_set(*, case: Case, actor: Actor, email_updates: bool) -> Concern:
    """The reporter turns email updates on or off (the email says they can).

    A delivery preference of the reporter's, not a change to the case: no case event, no new
    version (a guardian's open form stays valid). Anonymous concerns never have email.
    """
    case = _lock(case, None)
    if not policies.is_reporter_of(actor, case):
        raise CaseNotFound("Concern not found.")
    if case.route == Route.ANONYMOUS:
        raise InvalidInput("An anonymous concern has no email updates.")
    concern = case.concern
    concern.email_updates = email_updates
    concern.save(update_fields=["email_updates"])
    return concern


# --- time-driven notices (called by notifications/ on its schedule; additive) -------------


@transaction.atomic
def case_due_notice_record(
    *, case: Case, kind: str, due_kind: str, due_at: dt.datetime
) -> CaseEvent:
    """Record that a reminder (due soon) or escalation (overdue) went out, by the system.

    Does not bump the case version: a reminder must not make a guardian's open form stale.
    """
    if kind not in {EventKind.REMINDER, EventKind.ESCALATION}:
        raise ValueError(f"not a due notice: {kind}")
    case = _lock(case, None)
    label = DueKind(due_kind).label if due_kind else "Nothing"
    return case_event_record(
        case=case,
        kind=kind,
        actor=None,
        actor_role="system",
        note=f"{label} due {timezone.localtime(due_at):%Y-%m-%d %H:%M}",
    )


FOLLOW_UP_QUESTION = (
    "It is {months} months since your concern was closed. Have you suffered any detriment "
    "(being treated worse) because you spoke up? You can answer here; your guardian will "
    "record it and can help."
)


@transaction.atomic
def case_follow_up_ask(*, case: Case, months: int) -> Message:
    """Ask the reporter, in their conversation, whether speaking up has harmed them."""
    case = _lock(case, None)
    if case.status != Status.CLOSED:
        raise TransitionRefused("Follow-ups are asked only on closed cases.")
    message = Message.objects.create(
        case=case,
        side=Side.SYSTEM,
        kind=MessageKind.DETRIMENT_FOLLOW_UP,
        body=FOLLOW_UP_QUESTION.format(months=months),
    )
    case_event_record(
        case=case,
        kind=EventKind.FOLLOW_UP,
        actor=None,
        actor_role="system",
        note=f"{months}-month detriment follow-up asked",
    )
    return message
