from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet

from concerns import fastpaths
from concerns.models import (
    Category,
    Concern,
    Department,
    Organisation,
    QualityDomain,
    QualityStandard,
)
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


# --- For reports/ ---
# What the rollups and the report pages read from concerns/: reports/ reaches no model of
# this app except through these (its own rollup tables aside).


@dataclass(frozen=True)
class ConcernWindow:
    """The concerns a rollup counts: of some organisations (every one when None), raised in
    [raised_from, raised_before) when those are given."""

    organisation_ids: tuple[int, ...] | None = None
    raised_from: dt.datetime | None = None
    raised_before: dt.datetime | None = None

    def q(self, path: str = "") -> Q:
        """The window as a filter on a model reaching Concern by ``path`` ("concern__" …).

        Filtered through each table's own join rather than an IN over a subquery of
        concerns: PostgreSQL then reads only the organisation's rows by index."""
        where: dict[str, object] = {}
        if self.organisation_ids is not None:
            ids = self.organisation_ids
            if len(ids) == 1:
                where[f"{path}organisation_id"] = ids[0]
            else:
                where[f"{path}organisation_id__in"] = list(ids)
        if self.raised_from is not None:
            where[f"{path}raised_at__gte"] = self.raised_from
        if self.raised_before is not None:
            where[f"{path}raised_at__lt"] = self.raised_before
        return Q(**where)


def concern_category_links(*, window: ConcernWindow) -> Iterator[tuple[int, str]]:
    """(concern id, category slug) for every category of every concern in the window."""
    links = Concern.categories.through.objects.filter(window.q("concern__"))
    return links.values_list("concern_id", "category__slug").iterator(chunk_size=10000)


def concern_standard_links(*, window: ConcernWindow) -> Iterator[tuple[int, str]]:
    """(concern id, standard code) for every quality standard the window's concerns touch."""
    links = Concern.standards.through.objects.filter(window.q("concern__"))
    return links.values_list("concern_id", "qualitystandard__code").iterator(chunk_size=10000)


def organisations_by_name(*, ids: Iterable[int]) -> list[Organisation]:
    return list(Organisation.objects.filter(pk__in=list(ids)).order_by("name"))


def organisation_get(*, pk: int) -> Organisation:
    return Organisation.objects.get(pk=pk)


def organisation_ids_of(*, ids: Iterable[int] | None = None) -> list[int]:
    """The ids of every organisation (None), or of those of ``ids`` that exist."""
    organisations = Organisation.objects.all()
    if ids is not None:
        organisations = organisations.filter(pk__in=list(ids))
    return list(organisations.values_list("pk", flat=True))


def department_names(*, organisation_ids: Sequence[int]) -> list[tuple[int, str, str]]:
    """(department id, department name, organisation name) for some organisations."""
    departments = Department.objects.filter(organisation_id__in=list(organisation_ids))
    return list(departments.order_by().values_list("pk", "name", "organisation__name"))


def category_names() -> list[tuple[str, str]]:
    """(slug, name) of every category, active or not, in the categories' own order."""
    return list(Category.objects.order_by("position", "name").values_list("slug", "name"))


def standard_texts() -> list[tuple[str, str, int]]:
    """(code, text, domain number) of every quality standard."""
    return list(QualityStandard.objects.values_list("code", "text", "domain__number"))
