from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Prefetch, QuerySet

from concerns.models import Category, Concern, Organisation, QualityDomain, QualityStandard
from concerns.roles import Role, principal_load, roles_of
from config.db import columns_of, model_from_row

M = TypeVar("M", Organisation, Category)


def organisation_list(*, active_only: bool = True) -> QuerySet[Organisation]:
    qs = Organisation.objects.prefetch_related("departments")
    return qs.filter(is_active=True) if active_only else qs


def organisations_active_by_code(*, codes: Sequence[str]) -> dict[str, Organisation]:
    """The active organisations (as ``organisation_list``) with these codes, by code."""
    return _active_by(Organisation, "code", codes)


def categories_active_by_slug(*, slugs: Sequence[str]) -> dict[str, Category]:
    """The active categories (as ``category_list``) with these slugs, by slug."""
    return _active_by(Category, "slug", slugs)


def _active_by(model: type[M], field: str, values: Sequence[str]) -> dict[str, M]:
    """Active rows by a unique field, in one plain statement: raising a concern looks up its
    organisation and categories on every call, and building the ORM's two queries cost
    more than a millisecond of a raise's ten."""
    if not values:
        return {}
    meta, q = model._meta, connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns_of(model, 't')} FROM {q(meta.db_table)} t "  # noqa: S608
            f"WHERE t.{q(meta.get_field('is_active').column)} "
            f"AND t.{q(meta.get_field(field).column)} IN ({', '.join(['%s'] * len(values))})",
            list(values),
        )
        rows = cursor.fetchall()
    position = [f.name for f in meta.concrete_fields].index(field)
    return {row[position]: model_from_row(model, row) for row in rows}


def organisation_ids_for_user(*, user: AbstractBaseUser) -> set[int]:
    """The organisations a member of staff serves (an administrator serves all)."""
    if Role.ADMIN in roles_of(user):
        return set(Organisation.objects.values_list("id", flat=True))
    if getattr(user, "_speakup_org_ids", None) is None:
        principal_load(user)
    return user._speakup_org_ids


def category_slugs_for_concerns(*, concern_ids: list[int]) -> dict[int, list[str]]:
    """Each concern's category slugs, in the categories' own order, in one read.

    Plain SQL: a queue page asks this for 50 concerns on every load, and the ORM took
    three times as long to build the query as the database took to answer it."""
    slugs: dict[int, list[str]] = {pk: [] for pk in concern_ids}
    if not concern_ids:
        return slugs
    through = Concern.categories.through._meta
    category = Category._meta
    q = connection.ops.quote_name
    concern_id = q(through.get_field("concern").column)
    sql = (
        f"SELECT t.{concern_id}, c.{q('slug')} FROM {q(through.db_table)} t "  # noqa: S608
        f"JOIN {q(category.db_table)} c ON c.id = t.{q(through.get_field('category').column)} "
        f"WHERE t.{concern_id} IN ({', '.join(['%s'] * len(concern_ids))}) "
        f"ORDER BY c.{q('position')}, c.{q('name')}, c.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, concern_ids)
        for concern_id, slug in cursor.fetchall():
            slugs[concern_id].append(slug)
    return slugs


def category_list(*, active_only: bool = True) -> QuerySet[Category]:
    qs = Category.objects.prefetch_related("standards")
    return qs.filter(is_active=True) if active_only else qs


def standard_list() -> QuerySet[QualityStandard]:
    return QualityStandard.objects.select_related("domain")


def domain_list_with_standards() -> QuerySet[QualityDomain]:
    return QualityDomain.objects.prefetch_related(
        Prefetch("standards", queryset=QualityStandard.objects.prefetch_related("categories"))
    )
