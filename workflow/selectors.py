"""Reads, always scoped by who is asking. A case you may not see does not exist for you."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone

from concerns.models import Category, Concern
from concerns.receipts import receipt_hash
from concerns.roles import Role
from concerns.selectors import ConcernWindow, organisation_ids_for_user
from workflow import fastpaths, policies, timeliness
from workflow.errors import CaseNotFound
from workflow.models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseFile,
    Detriment,
    DetrimentAnswer,
    DetrimentSource,
    InternalNote,
    Message,
    MessageKind,
)
from workflow.policies import Actor, ReceiptHolder

SORTS = {
    "newest": F("raised_at").desc(),
    "oldest": F("raised_at").asc(),
    # Nothing due sorts last on every database (SQLite would put NULLs first).
    "due": F("due_at").asc(nulls_last=True),
    "activity": F("last_activity_at").desc(),
    "status": F("status").asc(),
}


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    category: str = ""
    organisation: str = ""
    route: str = ""
    assigned: str = ""  # "me", "none" or ""
    due: str = ""  # "soon", "overdue" or ""
    sort: str = "newest"
    open_only: bool = False  # the queue page's default: received to reopened, nothing ended
    q: str = ""  # part of a reference, e.g. "00042" or "SU-2026-00042"
    guardian: str = ""  # assigned to this guardian (username), for the workload's links


def case_queue_queryset(scope: policies.StaffScope, f: QueueFilters) -> QuerySet[Case]:
    """The cases of a scope, filtered and in order: what the queue page and API list."""
    qs = Case.objects.filter(policies.case_scope_q(scope))
    if f.status:
        qs = qs.filter(status=f.status)
    elif f.open_only:
        qs = qs.filter(status__in=OPEN_STATES)
    if f.q:
        qs = qs.filter(reference__icontains=f.q.strip())
    if f.guardian:
        qs = qs.filter(assigned_guardian__username=f.guardian)
    if f.organisation:
        qs = qs.filter(organisation__code=f.organisation)
    if f.route:
        qs = qs.filter(route=f.route)
    if f.category:
        qs = qs.filter(concern__categories__slug=f.category)
    if f.assigned == "me":
        qs = qs.filter(assigned_guardian_id=scope.user_id)
    elif f.assigned == "none":
        qs = qs.filter(assigned_guardian__isnull=True)
    if f.due == "overdue":
        qs = qs.filter(timeliness.overdue_q())
    elif f.due == "soon":
        qs = qs.filter(timeliness.due_soon_q())
    return qs.order_by(SORTS.get(f.sort, SORTS["newest"]), "-id")


def case_list_for_user(
    *, user: AbstractBaseUser, filters: QueueFilters | None = None
) -> QuerySet[Case]:
    scope = policies.staff_scope(user)
    if scope is None:
        return Case.objects.none()
    return (
        case_queue_queryset(scope, filters or QueueFilters())
        .select_related("organisation", "assigned_guardian")
        .prefetch_related(
            # Only the id of the concern: its encrypted text is not decrypted for every row.
            Prefetch("concern", queryset=Concern.objects.only("id")),
            Prefetch("concern__categories", queryset=Category.objects.only("id", "name", "slug")),
        )
    )


def case_queue_values(
    *,
    user: AbstractBaseUser,
    filters: QueueFilters,
    fields: tuple[str, ...],
    offset: int,
    limit: int,
) -> list[tuple[Any, ...]]:
    """``fields`` of one page of the user's queue, as tuples (no model instances): the same
    cases, in the same order, as ``case_list_for_user``. The API's queue reads them on every
    load, and building the ORM query cost more than running it (workflow.fastpaths)."""
    scope = policies.staff_scope(user)
    if scope is None:
        return []
    return fastpaths.queue_page_values(
        scope=scope, filters=filters, fields=fields, offset=offset, limit=limit
    )


def _no_such_reference(reference: str) -> bool:
    """A NUL byte can reach us from a URL ("%00"); PostgreSQL refuses it with an error."""
    return "\x00" in reference


def case_get_for_user(*, user: Actor, reference: str) -> Case:
    if _no_such_reference(reference):
        raise CaseNotFound("Case not found.")
    case = (
        Case.objects.select_related(
            "concern", "organisation", "assigned_guardian", "concern__department"
        )
        .filter(reference=reference)
        .first()
    )
    if case is None or not policies.may_view_case(user, case):
        raise CaseNotFound("Case not found.")
    return case


def case_events(*, case: Case) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case).select_related("actor").order_by("seq")


# A file's listing never needs its bytes (up to 10 MB each) nor its uploaded name.
_FILE_LISTING = ("id", "case_id", "number", "message_id", "note_id", "content_type", "size")


def case_messages(*, case: Case) -> QuerySet[Message]:
    files = Prefetch("files", queryset=CaseFile.objects.only(*_FILE_LISTING))
    return (
        Message.objects.filter(case=case)
        .select_related("author")
        .prefetch_related(files)
        .order_by("created_at", "id")
    )


def case_notes(*, case: Case) -> QuerySet[InternalNote]:
    """Staff only: the caller has the case through ``case_get_for_user``."""
    files = Prefetch("files", queryset=CaseFile.objects.only(*_FILE_LISTING))
    return (
        InternalNote.objects.filter(case=case)
        .select_related("author")
        .prefetch_related(files)
        .order_by("created_at", "id")
    )


def case_files(*, case: Case) -> QuerySet[CaseFile]:
    """Every file of a case, for staff (the bundle lists them), without their bytes."""
    return (
        CaseFile.objects.filter(case=case)
        .select_related("message")
        .only(*_FILE_LISTING, "uploaded_at", "message__side")
        .order_by("number")
    )


def case_file_for_staff(*, case: Case, number: int) -> CaseFile:
    """A file of a case the caller may see (``case_get_for_user``): any, notes' included."""
    found = CaseFile.objects.filter(case=case, number=number).first()
    if found is None:
        raise CaseNotFound("File not found.")
    return found


def case_file_for_reporter(*, case: Case, number: int) -> CaseFile:
    """A file of the reporter's own conversation; a file on an internal note does not exist
    for them, exactly like one that was never uploaded."""
    found = CaseFile.objects.filter(case=case, number=number, message__isnull=False).first()
    if found is None:
        raise CaseNotFound("File not found.")
    return found


def concern_list_for_reporter(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Case]:
    if not isinstance(user, AbstractBaseUser) or not user.is_authenticated:
        return Case.objects.none()
    return (
        Case.objects.filter(concern__reporter=user)
        .exclude(route="anonymous")
        .select_related("organisation")
        .order_by("-raised_at")
    )


def concern_get_for_reporter(*, actor: Actor, reference: str) -> Case:
    if _no_such_reference(reference):
        raise CaseNotFound("Concern not found.")
    case = (
        Case.objects.select_related("concern", "organisation").filter(reference=reference).first()
    )
    if case is None or not policies.is_reporter_of(actor, case):
        raise CaseNotFound("Concern not found.")
    return case


def case_for_receipt(*, code: str) -> Case | None:
    """The case behind a receipt code, or None. The caller throttles attempts."""
    hashed = receipt_hash(code)
    if hashed is None:
        return None
    return Case.objects.filter(concern__receipt_hash=hashed, route="anonymous").first()


def receipt_holder_for(case: Case) -> ReceiptHolder:
    return ReceiptHolder(concern_id=case.concern_id)


@dataclass(frozen=True)
class WorkloadRow:
    guardian: AbstractBaseUser
    open_cases: int
    overdue: int


def guardian_workload(*, user: AbstractBaseUser) -> list[WorkloadRow]:
    """Open and overdue cases per guardian of the lead's organisations."""
    org_ids = organisation_ids_for_user(user=user)
    now = timezone.now()
    open_q = Q(assigned_cases__status__in=OPEN_STATES, assigned_cases__organisation_id__in=org_ids)
    guardians = (
        get_user_model()
        .objects.filter(
            groups__name__in=[Role.GUARDIAN, Role.LEAD_GUARDIAN],
            memberships__organisation_id__in=org_ids,
        )
        .distinct()
        .annotate(
            open_cases=Count("assigned_cases", filter=open_q, distinct=True),
            overdue=Count(
                "assigned_cases",
                filter=open_q & Q(assigned_cases__due_at__lt=now),
                distinct=True,
            ),
        )
        .order_by("-open_cases", "username")
    )
    return [WorkloadRow(g, g.open_cases, g.overdue) for g in guardians]


def queue_page_for_user(*, user: AbstractBaseUser, filters: QueueFilters) -> QuerySet[Case]:
    """The queue page's rows: the case list, with when the reporter last wrote, so a row can
    say "reporter replied" when that is newer than the guardian's last message."""
    last_reply = (
        Message.objects.filter(case_id=OuterRef("pk"), side="reporter")
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    cases: QuerySet[Case] = case_list_for_user(user=user, filters=filters).annotate(
        last_reporter_message_at=Subquery(last_reply)
    )
    return cases


@dataclass(frozen=True)
class WorkloadLine:
    guardian: AbstractBaseUser
    open_cases: int
    due_soon: int
    overdue: int


def workload_for_lead(*, user: AbstractBaseUser) -> list[WorkloadLine]:
    """Each guardian's open, due-soon and overdue cases, counted from the very query the
    queue lists for the same filters (so every count matches the list it links to)."""
    scope = policies.staff_scope(user)
    if scope is None:
        return []
    counts = {
        row["assigned_guardian_id"]: row
        for row in case_queue_queryset(scope, QueueFilters(open_only=True))
        .order_by()
        .values("assigned_guardian_id")
        .annotate(
            open_cases=Count("id"),
            due_soon=Count("id", filter=timeliness.due_soon_q()),
            overdue=Count("id", filter=timeliness.overdue_q()),
        )
    }
    empty = {"open_cases": 0, "due_soon": 0, "overdue": 0}
    lines = [
        WorkloadLine(
            row.guardian,
            counts.get(row.guardian.pk, empty)["open_cases"],
            counts.get(row.guardian.pk, empty)["due_soon"],
            counts.get(row.guardian.pk, empty)["overdue"],
        )
        for row in guardian_workload(user=user)
    ]
    return sorted(lines, key=lambda line: (-line.open_cases, line.guardian.get_username()))


def queue_count_for_user(*, user: AbstractBaseUser, filters: QueueFilters) -> int:
    """How many cases the queue lists for these filters: the same query, so a count that
    links to a list always matches it."""
    scope = policies.staff_scope(user)
    return 0 if scope is None else case_queue_queryset(scope, filters).count()


def unassigned_open_count(*, user: AbstractBaseUser) -> int:
    return Case.objects.filter(
        organisation_id__in=organisation_ids_for_user(user=user),
        assigned_guardian__isnull=True,
        status__in=OPEN_STATES,
    ).count()


def guardians_for_case(*, case: Case) -> QuerySet[User]:
    return (
        get_user_model()
        .objects.filter(
            groups__name__in=[Role.GUARDIAN, Role.LEAD_GUARDIAN],
            memberships__organisation_id=case.organisation_id,
        )
        .distinct()
        .order_by("first_name", "username")
    )


# --- added by the reporter pages: the anonymous reporter's one concern --------------------


def concern_get_for_receipt_holder(*, holder: ReceiptHolder) -> Case:
    """The case an anonymous reporter proved, by receipt, that they may see."""
    case = (
        Case.objects.select_related("concern", "organisation")
        .filter(concern_id=holder.concern_id, route="anonymous")
        .first()
    )
    if case is None or not policies.is_reporter_of(holder, case):
        raise CaseNotFound("Concern not found.")
    return case


def concern_detriment_source(*, case: Case) -> str:
    """What a reporter's detriment answer is answering: the latest unanswered 3- or 6-month
    follow-up question if there is one, else something they chose to tell us."""
    asked = list(
        Message.objects.filter(case=case, kind=MessageKind.DETRIMENT_FOLLOW_UP)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    if not asked:
        return DetrimentSource.REPORTER
    answered = Detriment.objects.filter(
        case=case,
        recorded_at__gte=asked[-1],
        source__in=[DetrimentSource.FOLLOW_UP_3M, DetrimentSource.FOLLOW_UP_6M],
    ).exists()
    if answered:
        return DetrimentSource.REPORTER
    return DetrimentSource.FOLLOW_UP_3M if len(asked) == 1 else DetrimentSource.FOLLOW_UP_6M


# --- For reports/ ---
# What the rollups read from workflow/: reports/ reaches no model of this app except
# through these. Each is a plain scan of ids and codes, never a case's text.


class CaseFact(NamedTuple):
    """One concern and its case as the rollups count them."""

    concern_id: int
    organisation_id: int
    department_id: int | None
    route: str
    reporter_role: str
    professional_group: str
    raised_at: dt.datetime
    case_id: int
    status: str
    acknowledged_at: dt.datetime | None
    acknowledge_due_at: dt.datetime
    first_feedback_at: dt.datetime | None
    feedback_due_at: dt.datetime | None
    closed_at: dt.datetime | None
    referral_destination: str
    upheld: str | None
    speak_up_again: str | None
    month: dt.date  # the local month it was raised in


_FACT_FIELDS = (
    "id",
    "organisation_id",
    "department_id",
    "route",
    "reporter_role",
    "professional_group",
    "raised_at",
    "case__id",
    "case__status",
    "case__acknowledged_at",
    "case__acknowledge_due_at",
    "case__first_feedback_at",
    "case__feedback_due_at",
    "case__closed_at",
    "case__referral_destination",
    "case__outcome__upheld",
    "case__speak_up_again__answer",
)


def case_facts(*, window: ConcernWindow) -> Iterator[CaseFact]:
    """Every concern of the window with its case's state, dates and answers, streamed."""
    rows = (
        Concern.objects.filter(window.q())
        .annotate(month=TruncMonth("raised_at"))
        .values_list(*_FACT_FIELDS, "month")
    )
    for *fields, month in rows.iterator(chunk_size=5000):
        # SQLite's TruncMonth gives a datetime, PostgreSQL's a date at midnight as well.
        day = month.date() if isinstance(month, dt.datetime) else month
        yield CaseFact._make((*fields, day))


def harmed_case_ids(*, window: ConcernWindow) -> Iterator[int]:
    """The cases of the window's concerns with a detriment recorded as suffered."""
    harmed = Detriment.objects.filter(window.q("case__concern__"), suffered=DetrimentAnswer.YES)
    ids = harmed.values_list("case_id", flat=True).distinct()
    return ids.iterator(chunk_size=10000)


def case_row_for_rollups(*, case_id: int) -> dict[str, Any] | None:
    """The committed fields a rollup needs of one case (None if it is gone)."""
    fields = ("organisation_id", "raised_at", "status", "due_at")
    row: dict[str, Any] | None = Case.objects.filter(pk=case_id).values(*fields).first()
    return row


def open_cases_of(*, organisation_ids: Sequence[int]) -> list[tuple[int, int, dt.datetime | None]]:
    """(case id, organisation id, next due) of every open case of some organisations."""
    cases = Case.objects.filter(organisation_id__in=list(organisation_ids), status__in=OPEN_STATES)
    return list(cases.values_list("pk", "organisation_id", "due_at"))
