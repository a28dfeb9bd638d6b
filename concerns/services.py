from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.db.models import F

from concerns.models import Category, Membership, Organisation, QualityStandard
from concerns.roles import Role


@transaction.atomic
def organisation_create(
    *, code: str, name: str, kind: str = Organisation.Kind.TRUST, guardian_contact: str = ""
) -> Organisation:
    organisation, _ = Organisation.objects.update_or_create(
        code=code.strip().upper(),
        defaults={"name": name.strip(), "kind": kind, "guardian_contact": guardian_contact.strip()},
    )
    return organisation


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: Role,
    organisations: Iterable[Organisation] = (),
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password_hash: str = "",
) -> AbstractBaseUser:
    """Create or update a user with exactly one role.

    ``password_hash`` (from ``make_password``) may replace ``password`` when many users share
    one, as in the demo, where hashing each separately would take seconds apiece.
    """
    role = Role(role)  # an unknown role is a ValueError, never a new group
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model(username=username)
    user.email, user.first_name, user.last_name = email, first_name, last_name
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN
    if password_hash:
        user.password = password_hash
    else:
        user.set_password(password)
    user.save()
    group, _ = Group.objects.get_or_create(name=str(role))
    user.groups.set([group])
    for organisation in organisations:
        Membership.objects.get_or_create(user=user, organisation=organisation)
    return user


@transaction.atomic
def category_update(
    *,
    category: Category,
    name: str,
    help_text: str,
    standards: Iterable[QualityStandard],
    is_active: bool = True,
) -> Category:
    """Categories are versioned data: every change bumps the version."""
    category.name, category.help_text, category.is_active = name, help_text, is_active
    category.version = F("version") + 1
    category.save()
    category.standards.set(list(standards))
    category.refresh_from_db()
    return category
