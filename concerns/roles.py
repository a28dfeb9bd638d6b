"""Roles are Django groups; this module is the one place that names them."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection


class Role(StrEnum):
    REPORTER = "reporter"
    GUARDIAN = "guardian"
    LEAD_GUARDIAN = "lead_guardian"
    COMMITTEE = "committee"
    ADMIN = "admin"


STAFF_ROLES = {Role.GUARDIAN, Role.LEAD_GUARDIAN}
FLAG = "flag:"  # a row of principal_load's flags_sql, never a group's name


def _principal_sql() -> str:
    from django.contrib.auth import get_user_model

    from concerns.models import Membership

    groups = get_user_model().groups
    through, group = groups.through._meta, groups.field.related_model._meta
    membership = Membership._meta
    q = connection.ops.quote_name
    return (
        f"SELECT g.{q('name')}, NULL FROM {q(group.db_table)} g "  # noqa: S608
        f"JOIN {q(through.db_table)} ug "
        f"ON ug.{q(through.get_field(groups.field.m2m_reverse_field_name()).column)} = g.id "
        f"WHERE ug.{q(through.get_field(groups.field.m2m_field_name()).column)} = %s "
        f"UNION ALL SELECT NULL, m.{q(membership.get_field('organisation').column)} "
        f"FROM {q(membership.db_table)} m "
        f"WHERE m.{q(membership.get_field('user').column)} = %s"
    )


def principal_load(
    user: AbstractBaseUser, *, flags_sql: str = "", flags_params: Sequence[object] = ()
) -> frozenset[str]:
    """Read a user's roles and the organisations they serve, in one round trip, and keep
    them on the user object for the rest of the request.

    Nearly every staff request needs both; as two ORM queries, building them cost more
    than the database took to answer. Only our own table and column names are in the text.

    Another app may add its own facts about the user to the same round trip: ``flags_sql``
    is a further SELECT of ``('flag:<name>', NULL)`` rows; the names found are returned.
    """
    roles: set[str] = set()
    organisations: set[int] = set()
    flags: set[str] = set()
    sql = _principal_sql() + (f" UNION ALL {flags_sql}" if flags_sql else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, user.pk, *flags_params])
        for role, organisation_id in cursor.fetchall():
            if role is None:
                organisations.add(organisation_id)
            elif role.startswith(FLAG):
                flags.add(role.removeprefix(FLAG))
            else:
                roles.add(role)
    if user.is_superuser:
        roles.add(Role.ADMIN)
    user._speakup_roles = frozenset(roles)
    user._speakup_org_ids = organisations
    return frozenset(flags)


def roles_of(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[str]:
    if user is None or not user.is_authenticated:
        return frozenset()
    if getattr(user, "_speakup_roles", None) is None:
        principal_load(user)
    return user._speakup_roles


def has_role(user: AbstractBaseUser | AnonymousUser | None, *roles: Role) -> bool:
    return bool(roles_of(user) & {str(r) for r in roles})


def is_guardian(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return has_role(user, Role.GUARDIAN, Role.LEAD_GUARDIAN)


def is_lead_guardian(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return has_role(user, Role.LEAD_GUARDIAN)


def is_committee(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return has_role(user, Role.COMMITTEE)
