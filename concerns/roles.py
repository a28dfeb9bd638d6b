"""Roles are Django groups; this module is the one place that names them."""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Role(StrEnum):
    REPORTER = "reporter"
    GUARDIAN = "guardian"
    LEAD_GUARDIAN = "lead_guardian"
    COMMITTEE = "committee"
    ADMIN = "admin"


STAFF_ROLES = {Role.GUARDIAN, Role.LEAD_GUARDIAN}


def roles_of(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[str]:
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_speakup_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached = cached | {Role.ADMIN}
        user._speakup_roles = cached
    return cached


def has_role(user: AbstractBaseUser | AnonymousUser | None, *roles: Role) -> bool:
    return bool(roles_of(user) & {str(r) for r in roles})


def is_guardian(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return has_role(user, Role.GUARDIAN, Role.LEAD_GUARDIAN)


def is_lead_guardian(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return has_role(user, Role.LEAD_GUARDIAN)


def is_committee(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return has_role(user, Role.COMMITTEE)
