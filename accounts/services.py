"""Writes about accounts: the security log, ending everything an account has open, API
tokens, and role changes."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.backends.base import SessionBase
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import SecurityEvent, SignedInSession
from accounts.policies import STAFF_ROLES, is_staff_account

logger = logging.getLogger(__name__)
Kind = SecurityEvent.Kind


def security_event_record(
    *,
    kind: str,
    user: AbstractBaseUser | None = None,
    actor: AbstractBaseUser | None = None,
    detail: str = "",
) -> SecurityEvent:
    return SecurityEvent.objects.create(
        kind=kind,
        user_id=user.pk if user is not None else None,
        username=user.get_username() if user is not None else "",
        actor_id=actor.pk if actor is not None else None,
        actor_username=actor.get_username() if actor is not None else "",
        detail=detail[:200],
    )


def sign_in_failure_record(*, username: str, locked: bool = False) -> None:
    """A failed or refused sign-in, recorded for staff accounts only: what was typed for an
    account that does not exist (a password in the wrong box, say) is never kept."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not is_staff_account(user):
        return
    security_event_record(kind=Kind.LOCKED_OUT if locked else Kind.SIGN_IN_FAILED, user=user)


def _session_store() -> type[SessionBase]:
    store: type[SessionBase] = import_string(settings.SESSION_ENGINE + ".SessionStore")
    return store


def session_track(*, user: AbstractBaseUser, session_key: str) -> None:
    SignedInSession.objects.update_or_create(
        session_key=session_key, defaults={"user": user, "signed_in_at": timezone.now()}
    )


def session_untrack(*, session_key: str | None) -> None:
    if session_key:
        SignedInSession.objects.filter(session_key=session_key).delete()


def account_end_everything(*, user: AbstractBaseUser, kind: str, actor: Any = None) -> int:
    """End every session and API token of ``user`` and close their open websockets.

    Sessions are deleted from the session store (cache and database), tokens deleted,
    and sockets told to close once the change is committed. Returns the number of
    sessions ended.
    """
    from knox.models import AuthToken

    store = _session_store()
    keys = list(
        SignedInSession.objects.filter(user_id=user.pk).values_list("session_key", flat=True)
    )
    for key in keys:
        store(session_key=key).delete()
    SignedInSession.objects.filter(user_id=user.pk).delete()
    AuthToken.objects.filter(user=user).delete()
    if is_staff_account(user) or kind != Kind.SIGN_OUT:
        security_event_record(kind=kind, user=user, actor=actor, detail=f"{len(keys)} sessions")
    user_id = user.pk
    transaction.on_commit(lambda: sockets_close(user_id=user_id))
    return len(keys)


def sockets_close(*, user_id: int) -> None:
    from notifications import live

    live.groups_send([(live.account_group(user_id), live.account_ended_message())])


# ---- API tokens -----------------------------------------------------------------------


def token_ttl() -> dt.timedelta:
    from knox.settings import knox_settings

    ttl: dt.timedelta = knox_settings.TOKEN_TTL
    return ttl


@transaction.atomic
def token_issue(*, user: AbstractBaseUser) -> tuple[Any, str]:
    """A new API token for ``user``: stored as its SHA-512 digest, expiring after the TTL."""
    from knox.models import AuthToken

    # Expired tokens of this account go when a new one is made, not on every request.
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user=user, expiry=token_ttl())
    security_event_record(kind=Kind.TOKEN_ISSUED, user=user, detail="api")
    return instance, token


@transaction.atomic
def token_revoke(*, token: Any, actor: AbstractBaseUser) -> None:
    token.delete()
    security_event_record(kind=Kind.TOKEN_REVOKED, user=actor, actor=actor)


# ---- Roles ------------------------------------------------------------------------------


def roles_changed(
    *, user: AbstractBaseUser, granted: Iterable[str], removed: Iterable[str], actor: Any = None
) -> None:
    """Record each role granted or removed, and tell the lead guardians of the account's
    organisations (content-free: which account, which role, who did it)."""
    granted, removed = sorted(granted), sorted(removed)
    for role in granted:
        security_event_record(kind=Kind.ROLE_GRANTED, user=user, actor=actor, detail=role)
    for role in removed:
        security_event_record(kind=Kind.ROLE_REMOVED, user=user, actor=actor, detail=role)
    staff = [r for r in granted + removed if r in STAFF_ROLES]
    if staff:
        changes = [f"granted {r}" for r in granted if r in STAFF_ROLES]
        changes += [f"removed {r}" for r in removed if r in STAFF_ROLES]
        _announce(user=user, what="Role " + ", ".join(changes), actor=actor)


def organisations_changed(
    *, user: AbstractBaseUser, added: Iterable[str], removed: Iterable[str], actor: Any = None
) -> None:
    for code in sorted(added):
        security_event_record(kind=Kind.ORGANISATION_GRANTED, user=user, actor=actor, detail=code)
    for code in sorted(removed):
        security_event_record(kind=Kind.ORGANISATION_REMOVED, user=user, actor=actor, detail=code)
    if is_staff_account(user) and (added or removed):
        _announce(
            user=user, what="Organisations changed", actor=actor, also=set(added) | set(removed)
        )


def _lead_guardian_emails(*, user: AbstractBaseUser, also: Iterable[str] = ()) -> list[str]:
    from concerns.models import Membership

    codes = set(
        Membership.objects.filter(user_id=user.pk).values_list("organisation__code", flat=True)
    ) | set(also)
    leads = (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__name="lead_guardian",
            memberships__organisation__code__in=codes,
        )
        .exclude(email="")
        .exclude(pk=user.pk)
        .values_list("email", flat=True)
        .distinct()
    )
    return sorted(leads)


def _announce(*, user: AbstractBaseUser, what: str, actor: Any, also: Iterable[str] = ()) -> None:
    from accounts.context import announcements_off

    if announcements_off.get():
        return
    to = _lead_guardian_emails(user=user, also=also)
    if not to:
        return
    by = actor.get_username() if actor is not None else "an operator"
    body = (
        f"{what} for the account '{user.get_username()}' by {by}.\n\n"
        "If you did not expect this change, speak to your Speak Up administrator.\n"
        f"{settings.SITE_URL}\n"
    )

    def send() -> None:
        try:
            send_mail("Speak Up: a staff role changed", body, None, to)
        except Exception as exc:  # the change stands; the log holds it whatever the mail does
            logger.warning("role change announcement not sent (%s)", type(exc).__name__)

    transaction.on_commit(send)
