from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet

from concerns.models import Category, Organisation, QualityDomain, QualityStandard
from concerns.roles import Role, roles_of


def organisation_list(*, active_only: bool = True) -> QuerySet[Organisation]:
    qs = Organisation.objects.prefetch_related("departments")
    return qs.filter(is_active=True) if active_only else qs


def organisation_ids_for_user(*, user: AbstractBaseUser) -> set[int]:
    """The organisations a member of staff serves (an administrator serves all)."""
    if Role.ADMIN in roles_of(user):
        return set(Organisation.objects.values_list("id", flat=True))
    cached = getattr(user, "_speakup_org_ids", None)
    if cached is None:
        cached = set(user.memberships.values_list("organisation_id", flat=True))
        user._speakup_org_ids = cached
    return cached


def category_list(*, active_only: bool = True) -> QuerySet[Category]:
    qs = Category.objects.prefetch_related("standards")
    return qs.filter(is_active=True) if active_only else qs


def standard_list() -> QuerySet[QualityStandard]:
    return QualityStandard.objects.select_related("domain")


def domain_list_with_standards() -> QuerySet[QualityDomain]:
    return QualityDomain.objects.prefetch_related(
        Prefetch("standards", queryset=QualityStandard.objects.prefetch_related("categories"))
    )
