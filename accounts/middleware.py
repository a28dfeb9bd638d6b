"""Session limits and forced MFA enrolment for staff."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from accounts import context, services
from accounts.models import SecurityEvent
from accounts.policies import is_staff_member, mfa_required
from accounts.receivers import MFA_OK, SEEN_AT, SIGNED_IN_AT
from config import rules


class SessionLimitsMiddleware:
    """Ends a signed-in session after the idle limit (staff sooner) or the absolute
    lifetime, whichever comes first. Only this session: the account's others stay."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.current_actor.set(getattr(request, "user", None))
        try:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                self._limit(request, user)
            return self.get_response(request)
        finally:
            context.current_actor.reset(token)

    def _limit(self, request: HttpRequest, user: object) -> None:
        session = request.session
        policy = rules.sessions()
        now = int(time.time())
        signed_in = session.get(SIGNED_IN_AT)
        seen = session.get(SEEN_AT)
        if signed_in is None or seen is None:  # a session from before these limits
            session[SIGNED_IN_AT] = signed_in = now
            session[SEEN_AT] = seen = now
        idle = policy.staff_idle_minutes if is_staff_member(user) else policy.idle_minutes
        if now - seen > idle * 60 or now - signed_in > policy.absolute_hours * 3600:
            self._expire(request, user)
            return
        if now - seen >= policy.touch_seconds:
            session[SEEN_AT] = now

    @staticmethod
    def _expire(request: HttpRequest, user: object) -> None:
        services.session_untrack(session_key=request.session.session_key)
        if is_staff_member(user):
            services.security_event_record(kind=SecurityEvent.Kind.SESSION_EXPIRED, user=user)
        request.session.flush()
        request.user = AnonymousUser()
        messages.info(request, "You were signed out because your session ended. Sign in again.")


# What a member of staff may reach before enrolling: enrolment itself, signing out, and the
# static files those pages need.
_ENROLMENT_PATHS = ("/accounts/", "/static/")


class RequireStaffMFAMiddleware:
    """Staff (guardian, lead guardian, committee, administrator) use MFA: one who has not
    enrolled a TOTP app or a passkey is kept at enrolment until they do. Signing in to an
    enrolled account already stops at the MFA challenge (allauth's login stage)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_ENROLMENT_PATHS)
            and not request.session.get(MFA_OK)
            and mfa_required(user)
        ):
            if not has_mfa(user):
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"detail": "Set up two-factor authentication before using the API."},
                        status=403,
                    )
                return redirect("accounts_mfa_enrol")
            request.session[MFA_OK] = True
        return self.get_response(request)


def mfa_missing(user: object, session: object = None) -> bool:
    """A member of staff who has not enrolled an MFA method (a session that already saw
    that they had is taken at its word)."""
    if not getattr(user, "is_authenticated", False) or not mfa_required(user):
        return False
    if session is not None and session.get(MFA_OK):
        return False
    return not has_mfa(user)


def has_mfa(user: object) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()
