"""Who must use MFA, whose sessions are short, and who may change whose roles."""

from __future__ import annotations

from typing import Any

from concerns.roles import Role, roles_of

# Every role that reaches more than its holder's own concerns.
STAFF_ROLES = frozenset({Role.GUARDIAN, Role.LEAD_GUARDIAN, Role.COMMITTEE, Role.ADMIN})
# Roles that open cases or their figures: an administrator may never give one to themselves.
CASE_ROLES = frozenset({Role.GUARDIAN, Role.LEAD_GUARDIAN, Role.COMMITTEE})


def is_staff_member(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.is_staff or roles_of(user) & STAFF_ROLES)


def mfa_required(user: Any) -> bool:
    """Staff must enrol MFA before anything else; reporters may opt in."""
    return is_staff_member(user)


def may_change_roles(*, actor: Any, target: Any) -> bool:
    """Nobody changes their own roles or organisations: an administrator who could would
    make themselves a lead guardian and read every case."""
    return actor is not None and actor.pk != target.pk


def is_staff_account(user: Any) -> bool:
    """The same question as ``is_staff_member``, read afresh from the database and cached
    nowhere: for receivers that run while an account's roles are being changed."""
    if user is None or user.pk is None:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return bool(user.groups.filter(name__in=[str(r) for r in STAFF_ROLES]).exists())
