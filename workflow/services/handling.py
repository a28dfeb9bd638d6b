"""What guardians do to a case besides moving it: assign, write, note, record, correct,
reveal, download its bundle. Each locks the case, checks who may, records its event and
bumps the version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from concerns.models import Category, QualityStandard
from workflow import policies
from workflow.bundle import Bundle, case_bundle_build
from workflow.errors import CaseNotFound, InvalidInput, NotPermitted, TransitionRefused
from workflow.events import case_event_record
from workflow.models import (
    Case,
    Detriment,
    DetrimentAnswer,
    DetrimentSource,
    EventKind,
    InternalNote,
    Message,
    Outcome,
    Status,
    Upheld,
)
from workflow.services._steps import (
    detriment_add,
    guardian_writes,
    lock,
    require_choice,
    require_handler,
    require_text,
    staff,
    touch,
)
from workflow.services.files import case_files_record
from workflow.services.raising import NewAttachment


def _display_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def case_assign(
    *, case: Case, guardian: User, actor: User, expected_version: int | None = None
) -> Case:
    """Lead guardians assign anyone serving the organisation; a guardian may take an
    unassigned case for themselves (``policies.may_assign`` decides)."""
    case = lock(case, expected_version)
    if not policies.may_view_case(actor, case):
        raise CaseNotFound("Case not found.")
    if not policies.may_assign(actor, case, guardian):
        raise NotPermitted("You cannot assign this case to that person.")
    if case.assigned_guardian_id == guardian.pk:
        return case
    previous = case.assigned_guardian
    case.assigned_guardian = guardian
    note = _display_name(guardian)
    if previous is not None:
        note = f"{_display_name(previous)} → {note}"
    case_event_record(
        case=case, kind=EventKind.ASSIGNED, actor=actor, actor_role="guardian", note=note
    )
    return touch(case, "assigned_guardian")


@transaction.atomic
def case_message_send(
    *, case: Case, actor: User, body: str, files: Sequence[NewAttachment] = ()
) -> Message:
    """A guardian writes to the reporter, with any files (which the reporter may download)."""
    require_text(body, "a message", "body")
    case = lock(case)
    require_handler(actor, case)
    message = guardian_writes(case, staff(actor), body=body)
    case_event_record(
        case=case, kind=EventKind.MESSAGE_TO_REPORTER, actor=actor, actor_role="guardian"
    )
    case_files_record(case=case, actor=actor, files=files, message=message)
    touch(case, "last_guardian_message_at")
    return message


@transaction.atomic
def case_note_add(
    *, case: Case, actor: User, body: str, files: Sequence[NewAttachment] = ()
) -> InternalNote:
    """Any guardian who may see the case may add to its notes (a colleague covering leave,
    say); moving the case stays with the assigned guardian and the leads. Files on a note
    are staff-only, like the note."""
    require_text(body, "a note", "body")
    case = lock(case)
    if not policies.may_view_case(actor, case):
        raise CaseNotFound("Case not found.")
    note = InternalNote.objects.create(case=case, author=staff(actor), body=body)
    case_event_record(case=case, kind=EventKind.NOTE, actor=actor, actor_role="guardian")
    case_files_record(case=case, actor=actor, files=files, note=note)
    touch(case)
    return note


@transaction.atomic
def case_outcome_record(
    *,
    case: Case,
    actor: User,
    upheld: str,
    findings: str,
    actions: str = "",
    lessons: str = "",
    expected_version: int | None = None,
) -> Outcome:
    require_choice(upheld, Upheld, "answer to whether the concern was upheld", "upheld")
    require_text(findings, "what was found", "findings")
    case = lock(case, expected_version)
    require_handler(actor, case)
    if case.status in {Status.WITHDRAWN, Status.REFERRED}:
        raise TransitionRefused("An outcome cannot be recorded on a withdrawn or referred case.")
    outcome, _ = Outcome.objects.update_or_create(
        case=case,
        defaults={
            "upheld": upheld,
            "findings": findings,
            "actions": actions,
            "lessons": lessons,
            "recorded_by": staff(actor),
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
    touch(case)
    return outcome


@transaction.atomic
def case_detriment_record(*, case: Case, actor: User, suffered: str, note: str = "") -> Detriment:
    """The guardian records what the reporter told them (the reporter's own account is
    ``reporter.concern_detriment_report``)."""
    require_choice(suffered, DetrimentAnswer, "answer about detriment", "suffered")
    case = lock(case)
    require_handler(actor, case)
    detriment = detriment_add(
        case, actor, role="guardian", suffered=suffered, source=DetrimentSource.GUARDIAN, note=note
    )
    touch(case)
    return detriment


@transaction.atomic
def case_triage_update(
    *,
    case: Case,
    actor: User,
    categories: Sequence[Category],
    standards: Sequence[QualityStandard],
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """Correct what the concern is about; the event says what changed, and why."""
    case = lock(case, expected_version)
    require_handler(actor, case)
    if not categories:
        raise InvalidInput("Choose at least one category.", field="categories")
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
    return touch(case)


@dataclass(frozen=True)
class RevealedIdentity:
    name: str
    contact: str


@transaction.atomic
def case_identity_reveal(*, case: Case, actor: User, reason: str) -> RevealedIdentity:
    """A confidential reporter's name and contact, for a recorded reason. The answer is the
    only place they appear: never stored in a session, a message or a URL."""
    case = lock(case)
    if not policies.may_view_case(actor, case):
        raise CaseNotFound("Case not found.")
    if not policies.may_reveal_identity(actor, case):
        raise NotPermitted("Only the assigned guardian or a lead guardian can reveal this.")
    if not reason.strip():
        raise InvalidInput("Give a reason for revealing the reporter's identity.", field="reason")
    case_event_record(
        case=case, kind=EventKind.IDENTITY_VIEWED, actor=actor, actor_role="guardian", note=reason
    )
    touch(case)
    return RevealedIdentity(case.concern.reporter_name, case.concern.reporter_contact)


@transaction.atomic
def case_bundle_download(*, case: Case, actor: User) -> Bundle:
    """The case bundle for the assigned guardian or a lead. The download is a case event,
    written in the transaction the bundle is read in; its note says whether the reporter's
    identity went with it."""
    case = lock(case)
    if not policies.may_view_case(actor, case):
        raise CaseNotFound("Case not found.")
    if not policies.may_handle_case(actor, case):
        raise NotPermitted("Only the assigned guardian or a lead guardian can download this.")
    bundle = case_bundle_build(case=case, actor=actor)
    note = (
        "With the reporter's identity."
        if bundle.with_identity
        else "Without the reporter's identity."
    )
    case_event_record(
        case=case, kind=EventKind.BUNDLE_DOWNLOADED, actor=actor, actor_role="guardian", note=note
    )
    touch(case)
    return bundle
