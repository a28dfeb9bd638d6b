"""Roles are Django groups; this module is the one place that names them.

Who a signed-in user is to Speak Up (their roles and the organisations they serve) is a
``Principal``, read once per user object and kept beside it (never patched onto it): a
request loads a fresh user, so a role removed between two requests is never served stale.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser


class Role(StrEnum):
    REPORTER = "reporter"
    GUARDIAN = "guardian"
    LEAD_GUARDIAN = "lead_guardian"
    COMMITTEE = "committee"
    ADMIN = "admin"


STAFF_ROLES = {Role.GUARDIAN, Role.LEAD_GUARDIAN}


@dataclass(frozen=True)
class Principal:
    """A signed-in user's roles and the organisations they serve (an administrator's
    ``organisation_ids`` are only those they are a member of: see
    concerns.selectors.organisation_ids_for_user).

    ``keeps_cases_elsewhere`` (assigned a case outside those organisations) is a workflow
    fact, known only when workflow read it with the rest (workflow.policies.staff_load);
    None means not read yet."""

    user_id: int
    roles: frozenset[str]
    organisation_ids: frozenset[int]
    keeps_cases_elsewhere: bool | None = None


def principal_build(
    *,
    user: AbstractBaseUser,
    roles: frozenset[str],
    organisation_ids: frozenset[int],
    keeps_cases_elsewhere: bool | None = None,
) -> Principal:
    """The principal of ``user`` from facts read about them (a superuser is an admin)."""
    if getattr(user, "is_superuser", False):
        roles = roles | {Role.ADMIN.value}
    return Principal(
        user_id=user.pk,
        roles=roles,
        organisation_ids=organisation_ids,
        keeps_cases_elsewhere=keeps_cases_elsewhere,
    )


# id(user) -> (a weak reference to that very object, its principal). Keyed by identity, not
# by pk: two objects for the same account (two requests) never share an entry, so what one
# request read is never another's answer. An entry goes when its user object does.
_known: dict[int, tuple[weakref.ref[Any], Principal]] = {}


def principal_remember(user: AbstractBaseUser, principal: Principal) -> None:
    key = id(user)

    def forget(_: object) -> None:
        _known.pop(key, None)

    _known[key] = (weakref.ref(user, forget), principal)


def principal_forget(user: AbstractBaseUser) -> None:
    """Drop what is known of this user object (as a new request would not know it)."""
    entry = _known.get(id(user))
    if entry is not None and entry[0]() is user:
        _known.pop(id(user), None)


def principal_known(user: AbstractBaseUser) -> Principal | None:
    entry = _known.get(id(user))
    return entry[1] if entry is not None and entry[0]() is user else None


def principal_of(user: AbstractBaseUser) -> Principal:
    """The user's principal, read (one round trip) the first time it is asked for."""
    known = principal_known(user)
    if known is not None:
        return known
    from concerns import fastpaths

    roles, organisation_ids = fastpaths.principal_facts(user_id=user.pk)
    principal = principal_build(user=user, roles=roles, organisation_ids=organisation_ids)
    principal_remember(user, principal)
    return principal


def roles_of(user: object) -> frozenset[str]:
    """A user's roles; none for anyone else (the anonymous, a receipt holder, None)."""
    if not isinstance(user, AbstractBaseUser) or not user.is_authenticated:
        return frozenset()
    return principal_of(user).roles


def has_role(user: object, *roles: Role) -> bool:
    return bool(roles_of(user) & {str(r) for r in roles})


def is_guardian(user: object) -> bool:
    return has_role(user, Role.GUARDIAN, Role.LEAD_GUARDIAN)


def is_lead_guardian(user: object) -> bool:
    return has_role(user, Role.LEAD_GUARDIAN)


def is_committee(user: object) -> bool:
    return has_role(user, Role.COMMITTEE)
