from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet

from concerns import fastpaths
from concerns.models import Category, Organisation, QualityDomain, QualityStandard
from concerns.roles import Role, principal_of


def organisation_list(*, active_only: bool = True) -> QuerySet[Organisation]:
    qs = Organisation.objects.prefetch_related("departments")
    return qs.filter(is_active=True) if active_only else qs


def organisations_active_by_code(*, codes: Sequence[str]) -> dict[str, Organisation]:
    """The active organisations (as ``organisation_list``) with these codes, by code."""
    return fastpaths.active_by(Organisation, "code", codes)


def categories_active_by_slug(*, slugs: Sequence[str]) -> dict[str, Category]:
    """The active categories (as ``category_list``) with these slugs, by slug."""
    return fastpaths.active_by(Category, "slug", slugs)


def organisation_ids_for_user(*, user: AbstractBaseUser) -> set[int]:
    """The organisations a member of staff serves (an administrator serves all)."""
    principal = principal_of(user)
    if Role.ADMIN in principal.roles:
        return set(Organisation.objects.values_list("id", flat=True))
    return set(principal.organisation_ids)


def category_slugs_for_concerns(*, concern_ids: list[int]) -> dict[int, list[str]]:
    """Each concern's category slugs, in the categories' own order, in one read (a queue
    page asks this for 50 concerns on every load: concerns.fastpaths)."""
    return fastpaths.category_slugs(concern_ids=concern_ids)


def category_list(*, active_only: bool = True) -> QuerySet[Category]:
    qs = Category.objects.prefetch_related("standards")
    return qs.filter(is_active=True) if active_only else qs


def standard_list() -> QuerySet[QualityStandard]:
    return QualityStandard.objects.select_related("domain")


def domain_list_with_standards() -> QuerySet[QualityDomain]:
    return QualityDomain.objects.prefetch_related(
        Prefetch("standards", queryset=QualityStandard.objects.prefetch_related("categories"))
    )
