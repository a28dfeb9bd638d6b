"""Signal receivers: every route that signs in, signs out, changes a password, disables
an account or changes a role goes through Django or allauth signals, so the rules hold for
all of them (pages, admin site, API, management commands)."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa import signals as mfa_signals
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts import context, services
from accounts.models import SecurityEvent
from accounts.policies import is_staff_account, may_change_roles
from concerns.models import Membership

Kind = SecurityEvent.Kind
User = get_user_model()
SIGNED_IN_AT = "speakup_signed_in_at"
SEEN_AT = "speakup_seen_at"
MFA_OK = "speakup_mfa_ok"


@receiver(user_logged_in)
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    now = int(time.time())
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now
    if session.session_key is None:
        session.save()
    services.session_track(user=user, session_key=session.session_key)
    from accounts.middleware import has_mfa

    if has_mfa(user):
        session[MFA_OK] = True  # (RequireStaffMFAMiddleware need not ask again)
    if is_staff_account(user):
        methods = [m.get("method", "") for m in session.get("account_authentication_methods", [])]
        services.security_event_record(
            kind=Kind.SIGN_IN, user=user, detail="+".join(m for m in methods if m) or "session"
        )


@receiver(user_logged_out)
def _signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    services.account_end_everything(user=user, kind=Kind.SIGN_OUT, actor=user)


@receiver(pre_save, sender=User)
def _user_changing(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    instance._speakup_ends = None
    if instance._state.adding or instance.pk is None:
        return
    # set_password() leaves the new password here until save(); a hash upgraded at sign-in
    # clears it first (Django's check_password), so that is not a change of password.
    if getattr(instance, "_password", None) is not None:
        instance._speakup_ends = Kind.PASSWORD_CHANGED
    if not instance.is_active and (update_fields is None or "is_active" in update_fields):
        was_active = User.objects.filter(pk=instance.pk, is_active=True).exists()
        if was_active:
            instance._speakup_ends = Kind.ACCOUNT_DISABLED


@receiver(post_save, sender=User)
def _user_changed(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    kind = getattr(instance, "_speakup_ends", None)
    if kind:
        instance._speakup_ends = None
        services.account_end_everything(user=instance, kind=kind, actor=context.actor())


def _role_names(pks: Any) -> set[str]:
    return set(Group.objects.filter(pk__in=pks or ()).values_list("name", flat=True))


@receiver(m2m_changed, sender=User.groups.through)
def _roles_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if action == "pre_clear":
        users = [instance] if not reverse else list(instance.user_set.all())
        for user in users:
            user._speakup_cleared = set(user.groups.values_list("name", flat=True))
        if reverse:
            instance._speakup_cleared_users = users
        return
    if action not in {"pre_add", "post_add", "post_remove", "post_clear"}:
        return
    actor = context.actor()
    if reverse:
        users = list(User.objects.filter(pk__in=pk_set or ()))
        if action == "post_clear":
            users = getattr(instance, "_speakup_cleared_users", [])
        names = {instance.name}
    else:
        users = [instance]
        names = _role_names(pk_set)
    for user in users:
        if action == "pre_add":
            if actor is not None and not may_change_roles(actor=actor, target=user):
                services.security_event_record(
                    kind=Kind.ROLE_REFUSED, user=user, actor=actor, detail=",".join(sorted(names))
                )
                raise PermissionError("Nobody may change their own roles.")
            continue
        if action == "post_add":
            services.roles_changed(user=user, granted=names, removed=(), actor=actor)
        elif action == "post_remove":
            services.roles_changed(user=user, granted=(), removed=names, actor=actor)
        else:
            removed = getattr(user, "_speakup_cleared", set()) if not reverse else names
            services.roles_changed(user=user, granted=(), removed=removed, actor=actor)


@receiver(post_save, sender=Membership)
def _membership_added(sender: Any, instance: Membership, created: bool, **kwargs: Any) -> None:
    if created:
        services.organisations_changed(
            user=instance.user,
            added=[instance.organisation.code],
            removed=(),
            actor=context.actor(),
        )


@receiver(post_delete, sender=Membership)
def _membership_removed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    services.organisations_changed(
        user=instance.user, added=(), removed=[instance.organisation.code], actor=context.actor()
    )


@receiver(mfa_signals.authenticator_added)
def _mfa_added(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    services.security_event_record(kind=Kind.MFA_ADDED, user=user, detail=authenticator.type)


@receiver(mfa_signals.authenticator_removed)
def _mfa_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session.pop(MFA_OK, None)
    services.security_event_record(kind=Kind.MFA_REMOVED, user=user, detail=authenticator.type)


@receiver(mfa_signals.authentication_failed)
def _mfa_failed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    if is_staff_account(user):
        services.security_event_record(kind=Kind.MFA_FAILED, user=user, detail=authenticator.type)
