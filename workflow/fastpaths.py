"""Hand-written SQL of the workflow app, each statement beside the ORM query it replaces.

The only SQL text in workflow's reads (migrations aside; the services' writes are their
own). tests/workflow/test_fastpaths.py holds each to its ORM twin (same answers, on SQLite
and PostgreSQL, over a role x membership x assignment matrix). Only our own table and
column names are ever in the text; every value is a parameter.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from concerns import fastpaths as concern_fastpaths
from concerns.models import Membership
from workflow.models import Case

StaffFacts = tuple[frozenset[str], frozenset[int], bool]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _staff_sql() -> str:
    """Rows of (group name, NULL, 0), (NULL, organisation id, 0) and, when the user is
    assigned a case outside the organisations they serve, one (NULL, NULL, 1). Parameters:
    the user's id four times."""
    groups = get_user_model().groups
    through, group = groups.through._meta, Group._meta
    membership, case = Membership._meta, Case._meta
    m_org, m_user = membership.get_field("organisation").column, membership.get_field("user").column
    return (
        f"SELECT g.{_q('name')}, NULL, 0 FROM {_q(group.db_table)} g "  # noqa: S608
        f"JOIN {_q(through.db_table)} ug "
        f"ON ug.{_q(through.get_field(groups.field.m2m_reverse_field_name()).column)} = g.id "
        f"WHERE ug.{_q(through.get_field(groups.field.m2m_field_name()).column)} = %s "
        f"UNION ALL SELECT NULL, m.{_q(m_org)}, 0 FROM {_q(membership.db_table)} m "
        f"WHERE m.{_q(m_user)} = %s "
        f"UNION ALL SELECT NULL, NULL, 1 WHERE EXISTS ("
        f"SELECT 1 FROM {_q(case.db_table)} c "
        f"WHERE c.{_q(case.get_field('assigned_guardian').column)} = %s "
        f"AND c.{_q(case.get_field('organisation').column)} NOT IN ("
        f"SELECT m.{_q(m_org)} FROM {_q(membership.db_table)} m WHERE m.{_q(m_user)} = %s))"
    )


def staff_facts(*, user_id: int) -> StaffFacts:
    """A member of staff's group names, organisations, and whether they keep a case
    elsewhere, in one round trip: the queue's scope needs all three on every load, and
    ``staff_facts_orm``'s three queries cost more to build than to answer."""
    roles: set[str] = set()
    organisations: set[int] = set()
    keeps = False
    with connection.cursor() as cursor:
        cursor.execute(_staff_sql(), [user_id] * 4)
        for role, organisation_id, flag in cursor.fetchall():
            if flag:
                keeps = True
            elif role is None:
                organisations.add(organisation_id)
            else:
                roles.add(role)
    return frozenset(roles), frozenset(organisations), keeps


def keeps_cases_elsewhere_orm(*, user_id: int, organisation_ids: frozenset[int]) -> bool:
    """Assigned a case outside the organisations they serve: they keep it after leaving
    its organisation."""
    return (
        Case.objects.filter(assigned_guardian_id=user_id)
        .exclude(organisation_id__in=organisation_ids)
        .exists()
    )


def staff_facts_orm(*, user_id: int) -> StaffFacts:
    """What ``staff_facts`` answers, as the ORM would read it."""
    roles, organisations = concern_fastpaths.principal_facts_orm(user_id=user_id)
    keeps = keeps_cases_elsewhere_orm(user_id=user_id, organisation_ids=organisations)
    return roles, organisations, keeps
