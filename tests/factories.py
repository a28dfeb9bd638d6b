"""factory_boy factories and small helpers shared by every suite."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from concerns.models import Category, Department, Membership, Organisation
from concerns.roles import Role
from workflow.models import Case
from workflow.services import handling, raising, transitions

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


# A fixed TOTP secret for test staff (base32), so that a test can compute their codes.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_MFA_ROLES = {"guardian", "lead_guardian", "committee", "admin"}


def make_user(
    role: Role | str, *organisations: Organisation, mfa: bool | None = None, **kwargs: object
):
    """A user with one role. Staff come enrolled in TOTP (with ``TOTP_SECRET``), as every
    member of staff must be, so that ``force_login`` reaches their pages; ``mfa=False``
    makes one who has not enrolled yet."""
    user = UserFactory(**kwargs)
    group, _ = Group.objects.get_or_create(name=str(role))
    user.groups.add(group)
    for organisation in organisations:
        Membership.objects.create(user=user, organisation=organisation)
    if mfa if mfa is not None else str(role) in _MFA_ROLES:
        mfa_enrol(user)
    return user


def mfa_enrol(user, secret: str = TOTP_SECRET) -> str:
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str = TOTP_SECRET, at: float | None = None) -> str:
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    if at is None and time.time() % 30 > 28.5:  # a code about to lapse: wait for the next
        time.sleep(30 - time.time() % 30 + 0.01)
    counter = int((time.time() if at is None else at) // 30)
    return format_hotp_value(hotp_value(secret, counter))


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
) -> raising.RaisedConcern:
    """A concern raised through the real service. An open or confidential one gives the
    reporter's account name and email unless the test says otherwise (the service needs
    both, as the page and the API do)."""
    if route != "anonymous" and reporter is not None:
        kwargs.setdefault("reporter_name", reporter.get_full_name() or reporter.get_username())
        kwargs.setdefault("reporter_contact", reporter.email or "a phone number")
    concern = raising.NewConcern(
        organisation=organisation,
        categories=[category(s) for s in categories],
        description=description,
        route=route,
        **kwargs,
    )
    return raising.concern_raise(concern=concern, reporter=reporter)


def case_in_state(case: Case, state: str, *, guardian, lead=None) -> Case:
    """Drive a case through the real services to ``state`` (no shortcuts past the rules)."""
    actor = guardian
    if case.assigned_guardian_id is None:
        case = handling.case_assign(case=case, guardian=guardian, actor=lead or guardian)
    path = {
        "received": [],
        "acknowledged": ["acknowledge"],
        "investigating": ["acknowledge", "start_investigation"],
        "feedback_given": ["acknowledge", "start_investigation", "feedback"],
        "closed": ["acknowledge", "start_investigation", "feedback", "outcome", "close"],
    }[state]
    for step in path:
        if step == "feedback":
            case = transitions.case_give_feedback(
                case=case, actor=actor, message="Here is what we found."
            )
        elif step == "outcome":
            handling.case_outcome_record(
                case=case, actor=actor, upheld="upheld", findings="The rota was unsafe."
            )
        else:
            case = transitions.BY_NAME[step].function(case=case, actor=actor)
    case.refresh_from_db()
    return case
