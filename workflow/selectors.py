"""Reads, always scoped by who is asking. A case you may not see does not exist for you."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from concerns.models import Category, Concern
from concerns.receipts import receipt_hash
from concerns.roles import Role
from concerns.selectors import organisation_ids_for_user
from workflow import policies, timeliness
from workflow.errors import CaseNotFound
from workflow.models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    Detriment,
    DetrimentSource,
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


def case_list_for_user(
    *, user: AbstractBaseUser, filters: QueueFilters | None = None
) -> QuerySet[Case]:
    scope = policies.case_scope(user)
    if scope is None:
        return Case.objects.none()
    f = filters or QueueFilters()
    qs = Case.objects.filter(scope)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.organisation:
        qs = qs.filter(organisation__code=f.organisation)
    if f.route:
        qs = qs.filter(route=f.route)
    if f.category:
        qs = qs.filter(concern__categories__slug=f.category)
    if f.assigned == "me":
        qs = qs.filter(assigned_guardian_id=user.pk)
    elif f.assigned == "none":
        qs = qs.filter(assigned_guardian__isnull=True)
    if f.due == "overdue":
        qs = qs.filter(timeliness.overdue_q())
    elif f.due == "soon":
        qs = qs.filter(timeliness.due_soon_q())
    order = SORTS.get(f.sort, SORTS["newest"])
    return (
        qs.select_related("organisation", "assigned_guardian")
        .prefetch_related(
            # Only the id of the concern: its encrypted text is not decrypted for every row.
            Prefetch("concern", queryset=Concern.objects.only("id")),
            Prefetch("concern__categories", queryset=Category.objects.only("id", "name", "slug")),
        )
        .order_by(order, "-id")
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


def case_messages(*, case: Case) -> QuerySet[Message]:
    return Message.objects.filter(case=case).select_related("author").order_by("created_at", "id")


def concern_list_for_reporter(*, user: AbstractBaseUser) -> QuerySet[Case]:
    if not user.is_authenticated:
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


def unassigned_open_count(*, user: AbstractBaseUser) -> int:
    return Case.objects.filter(
        organisation_id__in=organisation_ids_for_user(user=user),
        assigned_guardian__isnull=True,
        status__in=OPEN_STATES,
    ).count()


def guardians_for_case(*, case: Case) -> QuerySet:
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
