"""Setting up a trust: organisations, departments, staff invitations, deactivation, category
wording and the retention period. Every write is recorded in the security log (h15's
``accounts.services.security_event_record``); none reads or shows case content."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlsafe_base64_encode

from accounts import services as account_services
from accounts.models import SecurityEvent
from accounts.policies import CASE_ROLES, may_change_roles
from concerns.models import Category, Department, Membership, Organisation
from concerns.roles import Role
from config.rules import RetentionPolicy
from setup.models import CategoryWording, RetentionSetting

Kind = SecurityEvent.Kind

# Roles in plain words, as the setup pages show them.
ROLE_WORDS = {
    Role.GUARDIAN: "Guardian: handles the cases of their organisations",
    Role.LEAD_GUARDIAN: "Lead guardian: handles and oversees every case of their organisations",
    Role.COMMITTEE: "Committee member: sees only anonymised figures, never a case",
    Role.ADMIN: "Administrator: sets up the trust, never sees a case",
}
ROLE_SHORT = {
    Role.REPORTER: "Reporter",
    Role.GUARDIAN: "Guardian",
    Role.LEAD_GUARDIAN: "Lead guardian",
    Role.COMMITTEE: "Committee member",
    Role.ADMIN: "Administrator",
}


class SetupError(ValueError):
    """A change the rules refuse; the message is for the person who asked."""


def _record(*, actor: AbstractBaseUser, detail: str, user: Any = None) -> None:
    account_services.security_event_record(
        kind=Kind.CONFIG_CHANGED, user=user, actor=actor, detail=detail
    )


@transaction.atomic
def organisation_save(
    *,
    actor: AbstractBaseUser,
    code: str,
    name: str,
    kind: str,
    guardian_contact: str = "",
    organisation: Organisation | None = None,
) -> Organisation:
    code = code.strip().upper()
    clash = Organisation.objects.filter(code=code)
    if organisation is not None:
        clash = clash.exclude(pk=organisation.pk)
    if clash.exists():
        raise SetupError("An organisation with this ODS code already exists.")
    created = organisation is None
    organisation = organisation or Organisation()
    organisation.code, organisation.name, organisation.kind = code, name.strip(), kind
    organisation.guardian_contact = guardian_contact.strip()
    organisation.save()
    _record(actor=actor, detail=f"organisation {'created' if created else 'changed'}: {code}")
    return organisation


@transaction.atomic
def department_add(*, actor: AbstractBaseUser, organisation: Organisation, name: str) -> Department:
    name = name.strip()
    if organisation.departments.filter(name__iexact=name).exists():
        raise SetupError("This organisation already has a department or site of that name.")
    department = Department.objects.create(organisation=organisation, name=name)
    _record(actor=actor, detail=f"department added: {organisation.code}")
    return department


@transaction.atomic
def department_rename(*, actor: AbstractBaseUser, department: Department, name: str) -> Department:
    name = name.strip()
    siblings = department.organisation.departments.exclude(pk=department.pk)
    if siblings.filter(name__iexact=name).exists():
        raise SetupError("This organisation already has a department or site of that name.")
    department.name = name
    department.save(update_fields=["name"])
    _record(actor=actor, detail=f"department renamed: {department.organisation.code}")
    return department


def invitation_link(*, user: AbstractBaseUser) -> str:
    """A link that lets the invited person set a password (once: the token is tied to the
    password and last sign-in, and expires after PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(str(user.pk).encode())
    token = default_token_generator.make_token(user)
    return settings.SITE_URL.rstrip("/") + reverse("setup:accept", args=[uid, token])


@transaction.atomic
def staff_invite(
    *,
    actor: AbstractBaseUser,
    email: str,
    username: str,
    role: str,
    organisations: Iterable[Organisation],
) -> AbstractBaseUser:
    """A new staff account with one role and its organisations, and an email with the link to
    set a password (or to sign in with the organisation's provider, matched by this address).
    The role is granted through h15's receivers, which log it and tell the lead guardians."""
    User = get_user_model()
    email = email.strip().lower()
    if role not in ROLE_WORDS:
        raise SetupError("Choose a role.")
    if User.objects.filter(email__iexact=email).exists():
        raise SetupError("There is already an account with this email address.")
    if User.objects.filter(username__iexact=username).exists():
        raise SetupError("There is already an account with this username.")
    organisations = list(organisations)
    if role in CASE_ROLES and not organisations:
        raise SetupError("Choose the organisations this person works for.")
    user = User(username=username, email=email, is_active=True)
    user.set_unusable_password()
    user.save()
    if not may_change_roles(actor=actor, target=user):  # (a new account is never the actor)
        raise SetupError("Nobody may change their own roles.")
    user.groups.add(Group.objects.get(name=str(role)))
    for organisation in organisations:
        Membership.objects.create(user=user, organisation=organisation)
    account_services.security_event_record(
        kind=Kind.INVITED, user=user, actor=actor, detail=str(role)
    )
    link = invitation_link(user=user)
    body = (
        f"You have been invited to Speak Up as: {ROLE_SHORT[Role(role)]}.\n\n"
        f"Your username is {username}. Set your password and two-factor authentication here "
        f"(the link works once, for {settings.PASSWORD_RESET_TIMEOUT // 86400} days):\n{link}\n\n"
        "If your organisation's sign-in is set up for Speak Up, you can use it instead, with "
        "this email address.\n"
    )
    transaction.on_commit(lambda: send_mail("You are invited to Speak Up", body, None, [email]))
    return user


@transaction.atomic
def staff_deactivate(*, actor: AbstractBaseUser, user: AbstractBaseUser) -> int:
    """Disable an account and end its sessions, tokens and sockets at once (h15's service)."""
    if actor.pk == user.pk:
        raise SetupError("You cannot deactivate your own account.")
    user.is_active = False
    user.save(update_fields=["is_active"])
    return account_services.account_end_everything(
        user=user, kind=Kind.ACCOUNT_DISABLED, actor=actor
    )


@transaction.atomic
def category_reword(
    *, actor: AbstractBaseUser, category: Category, name: str, help_text: str
) -> Category:
    """A new wording for a category, from now on; concerns raised before keep theirs."""
    from concerns import services as concern_services

    if not category.wordings.exists():  # a category from before wordings were kept
        CategoryWording.objects.create(
            category=category,
            version=category.version,
            name=category.name,
            help_text=category.help_text,
            valid_from=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        )
    category = concern_services.category_update(
        category=category,
        name=name.strip(),
        help_text=help_text.strip(),
        standards=category.standards.all(),
        is_active=category.is_active,
    )
    CategoryWording.objects.create(
        category=category,
        version=category.version,
        name=category.name,
        help_text=category.help_text,
        valid_from=timezone.now(),
        changed_by=actor.get_username(),
    )
    _record(actor=actor, detail=f"category reworded: {category.slug} v{category.version}")
    return category


def category_wording_at(*, category: Category, at: dt.datetime) -> str:
    """The category's name as it was worded at ``at`` (a concern's raised_at)."""
    wording = category.wordings.filter(valid_from__lte=at).order_by("-valid_from").first()
    return wording.name if wording is not None else category.name


@transaction.atomic
def retention_set(*, actor: AbstractBaseUser, months_after_end: int | None) -> RetentionSetting:
    setting = RetentionSetting.objects.create(
        months_after_end=months_after_end, set_by=actor.get_username()
    )
    what = "never" if months_after_end is None else f"{months_after_end} months"
    _record(actor=actor, detail=f"retention set: {what}")
    return setting


def retention_in_force() -> RetentionPolicy:
    """The administrator's setting when there is one, else the environment's default."""
    setting = RetentionSetting.objects.first()
    if setting is None:
        return settings.SPEAKUP_RETENTION
    return RetentionPolicy(months_after_end=setting.months_after_end)
