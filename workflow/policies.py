"""Who may do what to a case: the one place pages, API and transitions all ask.

A reporter is either a signed-in user or a ``ReceiptHolder`` (an anonymous reporter who
proved they hold the receipt code of one concern in this session).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q

from concerns.roles import (
    Role,
    is_guardian,
    is_lead_guardian,
    principal_build,
    principal_known,
    principal_of,
    principal_remember,
    roles_of,
)
from concerns.selectors import organisation_ids_for_user

if TYPE_CHECKING:
    from workflow.models import Case


@dataclass(frozen=True)
class ReceiptHolder:
    concern_id: int
    is_authenticated: bool = False
    pk: None = None


Actor = AbstractBaseUser | AnonymousUser | ReceiptHolder | None

# Where a session keeps an anonymous reporter's proven receipt (pages and sockets alike):
# {"concern": concern id, "until": epoch seconds}. Never the code itself.
RECEIPT_SESSION_KEY = "speakup_receipt_holder"


def receipt_holder_from_session(session: Any) -> ReceiptHolder | None:
    held = session.get(RECEIPT_SESSION_KEY) if session is not None else None
    if not isinstance(held, dict) or held.get("until", 0) < time.time():
        return None
    try:
        return ReceiptHolder(concern_id=int(held["concern"]))
    except (KeyError, TypeError, ValueError):
        return None


def _is_user(actor: object) -> TypeGuard[AbstractBaseUser]:
    return isinstance(actor, AbstractBaseUser) and actor.is_authenticated


def staff_load(user: Actor) -> None:
    """Before a guardian's page or API call: their roles, organisations and whether they keep
    a case elsewhere, in one round trip (the queue's scope needs all three)."""
    if not isinstance(user, AbstractBaseUser) or not user.is_authenticated:
        return
    known = principal_known(user)
    if known is not None and known.keeps_cases_elsewhere is not None:
        return
    from workflow import fastpaths

    roles, organisations, keeps = fastpaths.staff_facts(user_id=user.pk)
    principal_remember(
        user,
        principal_build(
            user=user, roles=roles, organisation_ids=organisations, keeps_cases_elsewhere=keeps
        ),
    )


def _keeps_cases_elsewhere(user: AbstractBaseUser, organisations: set[int]) -> bool:
    known = principal_of(user).keeps_cases_elsewhere
    if known is not None:
        return known
    from workflow import fastpaths

    return fastpaths.keeps_cases_elsewhere_orm(
        user_id=user.pk, organisation_ids=frozenset(organisations)
    )


@dataclass(frozen=True)
class StaffScope:
    """Everything the queue's scope depends on, and nothing else: ``case_scope_q`` is a
    function of this value alone, so a query built from it may be kept and reused for the
    same value (workflow.fastpaths does) without ever widening what anyone sees."""

    user_id: int
    organisation_ids: frozenset[int]
    keeps_cases_elsewhere: bool


def staff_scope(user: Actor) -> StaffScope | None:
    """What a member of staff may see; None if they may see no case."""
    if not _is_user(user) or not is_guardian(user):
        return None
    organisations = organisation_ids_for_user(user=user)
    return StaffScope(
        user_id=user.pk,
        organisation_ids=frozenset(organisations),
        keeps_cases_elsewhere=_keeps_cases_elsewhere(user, organisations),
    )


def case_scope_q(scope: StaffScope) -> Q:
    """The filter on Case for a scope."""
    from concerns.models import Concern

    visible = Q(organisation_id__in=sorted(scope.organisation_ids))
    # A case stays with its assigned guardian after they leave its organisation. That is
    # rare, and ORing it in always would stop the database walking the queue's index in
    # order, so it is ORed in only for those who have such a case (known from staff_load,
    # or one indexed lookup).
    if scope.keeps_cases_elsewhere:
        visible |= Q(assigned_guardian_id=scope.user_id)
    # A guardian who raised a concern themselves is its reporter, not its handler. (A
    # subquery, not a join to every case's concern: the database hashes this short list.)
    own = Concern.objects.filter(reporter_id=scope.user_id).values("pk")
    return visible & ~Q(concern_id__in=own)


def may_view_case(user: Actor, case: Case) -> bool:
    if not _is_user(user) or not is_guardian(user):
        return False
    if case.concern.reporter_id == user.pk:
        return False
    if case.assigned_guardian_id == user.pk:
        return True
    return case.organisation_id in organisation_ids_for_user(user=user)


def may_move_case(user: Actor, case: Case) -> bool:
    """Move a case on (a transition's permission): the assigned guardian or a lead."""
    if not _is_user(user) or not may_view_case(user, case):
        return False
    if is_lead_guardian(user):
        return True
    return bool(case.assigned_guardian_id == user.pk)


def may_handle_case(user: Actor, case: Case) -> bool:
    """Message the reporter, record outcome or detriment, triage, reveal an identity.

    (Internal notes are open to any guardian who may see the case.)
    """
    return may_move_case(user, case)


def may_assign(user: Actor, case: Case, guardian: AbstractBaseUser) -> bool:
    """A lead assigns anyone who serves the organisation; a guardian may take an
    unassigned case for themselves."""
    if not _is_user(user) or not may_view_case(user, case) or not may_view_case(guardian, case):
        return False
    if case.organisation_id not in organisation_ids_for_user(user=guardian):
        return False
    if is_lead_guardian(user):
        return True
    return case.assigned_guardian_id is None and guardian.pk == user.pk


def may_reveal_identity(user: Actor, case: Case) -> bool:
    return case.route == "confidential" and may_handle_case(user, case)


def is_reporter_of(actor: Actor, case: Case) -> bool:
    if isinstance(actor, ReceiptHolder):
        return actor.concern_id == case.concern_id
    if not _is_user(actor):
        return False
    return bool(case.concern.reporter_id == actor.pk and case.route != "anonymous")


def may_withdraw(user: Actor, case: Case) -> bool:
    """Transition permission: only the reporter may withdraw their concern."""
    return is_reporter_of(user, case)


def may_administer(user: Actor) -> bool:
    return _is_user(user) and Role.ADMIN in roles_of(user)
