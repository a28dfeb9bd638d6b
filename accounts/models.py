"""The security log (append-only) and the sessions each account has signed in."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyError(RuntimeError):
    pass


class SecurityEventQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("The security log is append-only.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("The security log is append-only.")


class SecurityEvent(models.Model):
    """One thing that happened to an account: who, when, what, and how it ended.

    Append-only: rows are never changed or deleted (the model refuses, and on PostgreSQL and
    SQLite a trigger refuses too). The account is kept by id and username, not by a foreign
    key, so that removing a user leaves the record of what was done to it. Nothing here
    names a reporter or a case, and no client address or user agent is kept.
    """

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        LOCKED_OUT = "locked_out", "Sign-in refused: too many failures"
        MFA_FAILED = "mfa_failed", "MFA code refused"
        SIGN_OUT = "sign_out", "Signed out"
        SESSION_EXPIRED = "session_expired", "Session expired"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        MFA_ADDED = "mfa_added", "MFA method added"
        MFA_REMOVED = "mfa_removed", "MFA method removed"
        TOKEN_ISSUED = "token_issued", "API token issued"
        TOKEN_REVOKED = "token_revoked", "API token revoked"
        ACCOUNT_DISABLED = "account_disabled", "Account disabled"
        ROLE_GRANTED = "role_granted", "Role granted"
        ROLE_REMOVED = "role_removed", "Role removed"
        ROLE_REFUSED = "role_refused", "Role change refused"
        ORGANISATION_GRANTED = "organisation_granted", "Organisation added"
        ORGANISATION_REMOVED = "organisation_removed", "Organisation removed"
        # Setting up a trust (issue 18, setup/).
        INVITED = "invited", "Invited"
        CONFIG_CHANGED = "config_changed", "Set-up changed"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    user_id = models.BigIntegerField(null=True, db_index=True)
    username = models.CharField(max_length=150, blank=True)
    actor_id = models.BigIntegerField(null=True)
    actor_username = models.CharField(max_length=150, blank=True)
    # What the event was about, never content: "lead_guardian", "api", "RX1".
    detail = models.CharField(max_length=200, blank=True)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.username}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("The security log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("The security log is append-only.")


class SignedInSession(models.Model):
    """A session key an account signed in with, so that all of them can be ended at once
    (sign-out, password change, account disabled). No address or user agent is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    signed_in_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"session of user {self.user_id}"
