"""concerns.fastpaths against the ORM queries they stand for, and the Principal they feed.

Run on SQLite and on PostgreSQL (DATABASE_URL): the statements are written once for both."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Group

from concerns import fastpaths
from concerns.models import Concern
from concerns.roles import (
    Role,
    is_guardian,
    principal_forget,
    principal_known,
    principal_of,
    roles_of,
)
from tests.factories import OrganisationFactory, make_user, raise_concern

ROLE_SETS = [(), (Role.REPORTER,), (Role.GUARDIAN,), (Role.LEAD_GUARDIAN, Role.COMMITTEE)]


@pytest.mark.django_db
@pytest.mark.parametrize(("roles", "serves"), itertools.product(ROLE_SETS, [0, 1, 2]))
def test_a_principals_facts_are_the_orms(roles, serves):
    # Given a user with these roles who serves this many organisations, beside another user
    # with every role and organisation (whose facts must not leak into theirs)
    organisations = [OrganisationFactory() for _ in range(3)]
    user = make_user(roles[0] if roles else Role.REPORTER, *organisations[:serves], mfa=False)
    if not roles:
        user.groups.clear()
    for role in roles[1:]:
        user.groups.add(Group.objects.get_or_create(name=str(role))[0])
    make_user(Role.ADMIN, *organisations, mfa=False)

    # When both ways read them
    fast = fastpaths.principal_facts(user_id=user.pk)
    orm = fastpaths.principal_facts_orm(user_id=user.pk)

    # Then they agree, and say what was set up
    assert fast == orm
    served = frozenset(o.pk for o in organisations[:serves])
    assert fast == (frozenset(str(r) for r in roles), served)


@pytest.mark.django_db
def test_no_such_user_has_no_facts():
    assert fastpaths.principal_facts(user_id=10**9) == (frozenset(), frozenset())
    assert fastpaths.principal_facts_orm(user_id=10**9) == (frozenset(), frozenset())


CATEGORY_SETS = [("patient-safety",), ("other", "worker-safety", "patient-safety")]


@pytest.mark.django_db
@pytest.mark.parametrize("take", [0, 1, 2, 3])
def test_category_slugs_are_the_orms_in_the_categories_order(take):
    # Given concerns with one category and with several
    org = OrganisationFactory()
    concerns = [
        raise_concern(org, categories=CATEGORY_SETS[i % 2]).case.concern_id for i in range(3)
    ]
    asked = concerns[:take] + ([10**9] if take == 3 else [])  # and one that does not exist

    # When both ways read the slugs of some of them
    fast = fastpaths.category_slugs(concern_ids=asked)
    orm = fastpaths.category_slugs_orm(concern_ids=asked)

    # Then they agree, each in the categories' own order (position, then name)
    assert fast == orm
    assert set(fast) == set(asked)
    for pk in concerns[:take]:
        expected = list(
            Concern.objects.get(pk=pk)
            .categories.order_by("position", "name", "id")
            .values_list("slug", flat=True)
        )
        assert fast[pk] == expected


# --- the Principal: read once per user object, never shared by two ------------------------


@pytest.mark.django_db
def test_a_principal_is_read_once_per_user_object(django_assert_num_queries):
    org = OrganisationFactory()
    user = make_user(Role.GUARDIAN, org, mfa=False)
    with django_assert_num_queries(1):
        principal = principal_of(user)
        assert is_guardian(user) and roles_of(user) == frozenset({"guardian"})
    assert principal.user_id == user.pk and principal.organisation_ids == frozenset({org.pk})
    assert principal_known(user) is principal


@pytest.mark.django_db
def test_a_role_removed_is_never_served_from_another_objects_principal():
    # Given a guardian whose principal one request has read
    user = make_user(Role.GUARDIAN, OrganisationFactory(), mfa=False)
    assert is_guardian(user)

    # When their role is removed, and the next request loads its own user object
    user.groups.clear()
    again = type(user).objects.get(pk=user.pk)

    # Then that request reads afresh: the first object's principal is not its answer
    assert principal_known(again) is None
    assert not is_guardian(again)
    principal_forget(user)
    assert not is_guardian(user)


@pytest.mark.django_db
def test_a_superuser_is_an_administrator_and_the_anonymous_have_no_roles():
    from django.contrib.auth.models import AnonymousUser

    admin = make_user(Role.REPORTER, mfa=False, is_superuser=True)
    assert Role.ADMIN in roles_of(admin)
    assert roles_of(AnonymousUser()) == frozenset() and roles_of(None) == frozenset()


def _row_fields(row) -> dict:
    return {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "asked",
    [[], ["RA1"], ["RA1", "RB2", "RGONE", "NOPE"], ["RGONE"], ["ra1"]],
    ids=repr,
)
def test_active_organisations_by_code_are_the_orms(asked):
    # Given active organisations and one closed
    from concerns.models import Organisation

    OrganisationFactory(code="RA1", guardian_contact="Ext 4400")
    OrganisationFactory(code="RB2")
    OrganisationFactory(code="RGONE", is_active=False)

    # When both ways look some codes up
    fast = fastpaths.active_by(Organisation, "code", asked)
    orm = fastpaths.active_by_orm(Organisation, "code", asked)

    # Then they find the same active rows, every field converted alike
    assert {k: _row_fields(v) for k, v in fast.items()} == {
        k: _row_fields(v) for k, v in orm.items()
    }
    assert set(fast) == {c for c in asked if c in {"RA1", "RB2"}}


@pytest.mark.django_db
def test_active_categories_by_slug_are_the_orms():
    from concerns.models import Category

    Category.objects.filter(slug="other").update(is_active=False)
    asked = ["patient-safety", "other", "worker-safety", "no-such-thing"]

    fast = fastpaths.active_by(Category, "slug", asked)
    orm = fastpaths.active_by_orm(Category, "slug", asked)

    assert {k: _row_fields(v) for k, v in fast.items()} == {
        k: _row_fields(v) for k, v in orm.items()
    }
    assert set(fast) == {"patient-safety", "worker-safety"}
