"""factory_boy factories and small helpers shared by every suite."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from concerns.models import Category, Department, Membership, Organisation
from concerns.roles import Role
from workflow import services
from workflow.models import Case

PASSWORD = "correct horse battery staple"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"R{n:04d}")
    name = factory.Sequence(lambda n: f"Placement Trust {n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Ward {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.nhs.uk")

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save()


def make_user(role: Role | str, *organisations: Organisation, **kwargs: object):
    user = UserFactory(**kwargs)
    group, _ = Group.objects.get_or_create(name=str(role))
    user.groups.add(group)
    for organisation in organisations:
        Membership.objects.create(user=user, organisation=organisation)
    return user


def category(slug: str = "patient-safety") -> Category:
    return Category.objects.get(slug=slug)


def raise_concern(
    organisation: Organisation,
    *,
    route: str = "anonymous",
    reporter=None,
    description: str = "The night rota leaves the ward without a registrar.",
    categories: tuple[str, ...] = ("patient-safety",),
    **kwargs: object,
) -> services.RaisedConcern:
    return services.concern_raise(
        organisation=organisation,
        categories=[category(s) for s in categories],
        description=description,
        route=route,
        reporter_role=kwargs.pop("reporter_role", "learner"),
        reporter=reporter,
        **kwargs,
    )


def case_in_state(case: Case, state: str, *, guardian, lead=None) -> Case:
    """Drive a case through the real services to ``state`` (no shortcuts past the rules)."""
    actor = guardian
    if case.assigned_guardian_id is None:
        case = services.case_assign(case=case, guardian=guardian, actor=lead or guardian)
    path = {
        "received": [],
        "acknowledged": ["acknowledge"],
        "investigating": ["acknowledge", "start_investigation"],
        "feedback_given": ["acknowledge", "start_investigation", "feedback"],
        "closed": ["acknowledge", "start_investigation", "feedback", "outcome", "close"],
    }[state]
    for step in path:
        if step == "feedback":
            case = services.case_transition(
                case=case, name="give_feedback", actor=actor, message="Here is what we found."
            )
        elif step == "outcome":
            services.case_outcome_record(
                case=case, actor=actor, upheld="upheld", findings="The rota was unsafe."
            )
        else:
            case = services.case_transition(case=case, name=step, actor=actor)
    case.refresh_from_db()
    return case
