"""workflow.fastpaths.staff_facts against the ORM queries it stands for (the queue page's
kept statement is held to the ORM in test_selectors.py). SQLite and PostgreSQL alike."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Group

from concerns import fastpaths as concern_fastpaths
from concerns.models import Membership
from concerns.roles import Role, principal_forget, principal_known
from tests.factories import OrganisationFactory, make_user, raise_concern
from workflow import fastpaths, policies
from workflow.services import handling

# Where the user's assigned case is: nowhere, in an organisation they serve, in another.
ASSIGNED = ["none", "served", "elsewhere"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "serves", "assigned"),
    itertools.product([Role.REPORTER, Role.GUARDIAN, Role.LEAD_GUARDIAN], [0, 1, 2], ASSIGNED),
)
def test_staff_facts_are_the_orms(role, serves, assigned):
    # Given a user of this role serving this many organisations, assigned a case here or
    # there (and a lead who assigns, serving everything)
    a, b, c = OrganisationFactory(), OrganisationFactory(), OrganisationFactory()
    lead = make_user(Role.LEAD_GUARDIAN, a, b, c, mfa=False)
    user = make_user(Role.GUARDIAN, a, b, c, mfa=False)
    if assigned != "none":
        case = raise_concern(a if assigned == "served" else c).case
        handling.case_assign(case=case, guardian=user, actor=lead)
    Membership.objects.filter(user=user).exclude(organisation__in=[a, b][:serves]).delete()
    user.groups.set([Group.objects.get_or_create(name=str(role))[0]])

    # When both ways read them
    fast = fastpaths.staff_facts(user_id=user.pk)
    orm = fastpaths.staff_facts_orm(user_id=user.pk)

    # Then they agree with each other and with concerns' own read of roles and organisations
    assert fast == orm
    assert fast[:2] == concern_fastpaths.principal_facts(user_id=user.pk)
    keeps = assigned == "elsewhere" or (assigned == "served" and serves == 0)
    assert fast == (frozenset({str(role)}), frozenset(o.pk for o in [a, b][:serves]), keeps)


@pytest.mark.django_db
def test_staff_load_keeps_one_principal_with_the_flag(django_assert_num_queries):
    org, other = OrganisationFactory(), OrganisationFactory()
    lead = make_user(Role.LEAD_GUARDIAN, org, other, mfa=False)
    guardian = make_user(Role.GUARDIAN, org, other, mfa=False)
    handling.case_assign(case=raise_concern(other).case, guardian=guardian, actor=lead)
    Membership.objects.filter(user=guardian, organisation=other).delete()
    principal_forget(guardian)

    with django_assert_num_queries(1):
        policies.staff_load(guardian)
        scope = policies.staff_scope(guardian)

    assert scope is not None and scope.keeps_cases_elsewhere
    assert scope.organisation_ids == frozenset({org.pk})
    known = principal_known(guardian)
    assert known is not None and known.keeps_cases_elsewhere is True


# --- raising's writes -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_reference_upsert_counts_like_its_orm_twin():
    # Given a year with no counter yet, numbered by either path in turn
    paths = [fastpaths.reference_next, fastpaths.reference_next_orm] * 3
    # Then the numbers run 1, 2, 3 ... whichever path takes each, and years are separate
    assert [take(year=2031) for take in paths] == [1, 2, 3, 4, 5, 6]
    assert fastpaths.reference_next_orm(year=2032) == 1
    assert fastpaths.reference_next(year=2033) == 1
    assert fastpaths.reference_next(year=2032) == 2


def _links(concern):
    return (
        set(concern.categories.values_list("pk", flat=True)),
        set(concern.standards.values_list("pk", flat=True)),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("chosen_standards", [0, 1, 3])
@pytest.mark.parametrize("categories", [1, 2, 4])
def test_the_link_inserts_make_the_links_their_orm_twin_makes(org, categories, chosen_standards):
    # Given categories (whose implied standards overlap) and standards chosen, some of which
    # the categories already imply
    from concerns.models import Category, QualityStandard

    picked = sorted(
        Category.objects.filter(standards__isnull=False).distinct().values_list("pk", flat=True)
    )[:categories]
    implied = set(
        Category.standards.through.objects.filter(category_id__in=picked).values_list(
            "qualitystandard_id", flat=True
        )
    )
    standards = sorted(QualityStandard.objects.values_list("pk", flat=True))
    chosen = sorted({*list(implied)[:1], *standards[-chosen_standards:]})[:chosen_standards]
    fast = raise_concern(org).concern
    slow = raise_concern(org).concern
    for concern in (fast, slow):
        concern.categories.clear()
        concern.standards.clear()
    # When each path links its concern
    fastpaths.concern_links_insert(concern_id=fast.pk, category_ids=picked, standard_ids=chosen)
    fastpaths.concern_links_insert_orm(concern_id=slow.pk, category_ids=picked, standard_ids=chosen)
    # Then the two concerns have the same links, each once
    assert _links(fast) == _links(slow) == (set(picked), implied | set(chosen))
