"""Hand-written SQL of the concerns app, each statement beside the ORM query it replaces.

The only SQL text in concerns/ (migrations aside). Each one is kept because building the
ORM's queries cost more than the database took to answer them, on a path every staff
request takes; tests/concerns/test_fastpaths.py holds each to its ORM twin (same rows, on
SQLite and PostgreSQL). Only our own table and column names are ever in the text; every
value is a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Model

from concerns.models import Category, Concern, Membership, Organisation

Facts = tuple[frozenset[str], frozenset[int]]
M = TypeVar("M", Organisation, Category)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def column(model: type[Model], name: str) -> str:
    """The quoted column of a model's field (every name in our SQL comes from here)."""
    found = getattr(model._meta.get_field(name), "column", None)
    if not isinstance(found, str):
        raise LookupError(f"{model.__name__}.{name} has no column")
    return _q(found)


def _principal_sql() -> str:
    """Rows of (group name, NULL) and (NULL, organisation id) for one user (%s twice)."""
    from django.contrib.auth import get_user_model

    groups = get_user_model().groups
    through = groups.through
    user_column = column(through, groups.field.m2m_field_name())
    group_column = column(through, groups.field.m2m_reverse_field_name())
    return (
        f"SELECT g.{_q('name')}, NULL FROM {_q(Group._meta.db_table)} g "  # noqa: S608
        f"JOIN {_q(through._meta.db_table)} ug ON ug.{group_column} = g.id "
        f"WHERE ug.{user_column} = %s "
        f"UNION ALL SELECT NULL, m.{column(Membership, 'organisation')} "
        f"FROM {_q(Membership._meta.db_table)} m "
        f"WHERE m.{column(Membership, 'user')} = %s"
    )


def principal_facts(*, user_id: int) -> Facts:
    """A user's group names and the organisations they are a member of, in one round trip.

    Nearly every signed-in request needs both; as the two ORM queries of
    ``principal_facts_orm`` the building cost more than the answering."""
    roles: set[str] = set()
    organisations: set[int] = set()
    with connection.cursor() as cursor:
        cursor.execute(_principal_sql(), [user_id, user_id])
        for role, organisation_id in cursor.fetchall():
            if role is None:
                organisations.add(organisation_id)
            else:
                roles.add(role)
    return frozenset(roles), frozenset(organisations)


def principal_facts_orm(*, user_id: int) -> Facts:
    """What ``principal_facts`` answers, as the ORM would read it."""
    roles = Group.objects.filter(user__id=user_id).values_list("name", flat=True)
    organisations = Membership.objects.filter(user_id=user_id).values_list(
        "organisation_id", flat=True
    )
    return frozenset(roles), frozenset(organisations)


def category_slugs(*, concern_ids: list[int]) -> dict[int, list[str]]:
    """Each concern's category slugs, in the categories' own order, in one plain statement:
    a queue page asks this for 50 concerns on every load."""
    slugs: dict[int, list[str]] = {pk: [] for pk in concern_ids}
    if not concern_ids:
        return slugs
    through = Concern.categories.through
    concern_id = column(through, "concern")
    sql = (
        f"SELECT t.{concern_id}, c.{_q('slug')} FROM {_q(through._meta.db_table)} t "  # noqa: S608
        f"JOIN {_q(Category._meta.db_table)} c ON c.id = t.{column(through, 'category')} "
        f"WHERE t.{concern_id} IN ({', '.join(['%s'] * len(concern_ids))}) "
        f"ORDER BY c.{_q('position')}, c.{_q('name')}, c.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, concern_ids)
        for pk, slug in cursor.fetchall():
            slugs[pk].append(slug)
    return slugs


def category_slugs_orm(*, concern_ids: list[int]) -> dict[int, list[str]]:
    """What ``category_slugs`` answers, as the ORM would read it."""
    slugs: dict[int, list[str]] = {pk: [] for pk in concern_ids}
    links = (
        Concern.categories.through.objects.filter(concern_id__in=concern_ids)
        .order_by("category__position", "category__name", "category_id")
        .values_list("concern_id", "category__slug")
    )
    for pk, slug in links:
        slugs[pk].append(slug)
    return slugs


def active_by(model: type[M], field: str, values: Sequence[str]) -> dict[str, M]:
    """Active rows by a unique field, by its value: raising a concern looks up its
    organisation and categories on every call, and the ORM's two queries cost about 0.5 ms
    more CPU than these statements (in process on PostgreSQL, 2026-12-02: 740 against
    230 us), 8% of a signed-in raise. The rows are built by the ORM (``raw``)."""
    if not values:
        return {}
    sql = (
        f"SELECT * FROM {_q(model._meta.db_table)} "  # noqa: S608
        f"WHERE {column(model, 'is_active')} "
        f"AND {column(model, field)} IN ({', '.join(['%s'] * len(values))})"
    )
    return {getattr(row, field): row for row in model._default_manager.raw(sql, list(values))}


def active_by_orm(model: type[M], field: str, values: Sequence[str]) -> dict[str, M]:
    """What ``active_by`` answers, as the ORM reads it."""
    rows = model._default_manager.filter(is_active=True, **{f"{field}__in": list(values)})
    return {getattr(row, field): row for row in rows}
