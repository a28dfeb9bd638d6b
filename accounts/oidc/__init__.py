"""Sign-in with the organisation's identity provider (issue 18): allauth.socialaccount's
``openid_connect`` provider, with what it leaves to the integrator added here.

allauth does the code flow, the state (one use, kept in the session), PKCE, the discovery
document and the ID token's issuer, audience and expiry. Added here:

- the ID token's signature is always checked against the provider's published keys (allauth
  skips it when the token came straight from the token endpoint), with an asymmetric algorithm
  the provider announces (never ``none`` or a shared-secret one);
- a nonce is sent and the ID token must return it; ``azp`` is checked when there are several
  audiences; the discovery document must name the configured issuer (no mix-up);
- the identity comes from the verified ID token; userinfo (when asked for) must have its
  ``sub``;
- an identity is matched to an existing account only, by the stored subject or else a
  verified email address, and never makes an account or a role (``SocialAccountAdapter``);
- local MFA still applies, unless the setting ``OIDC_TRUST_PROVIDER_MFA`` is on and the
  provider asserted MFA (``amr`` contains ``mfa``, or ``acr`` is one of ``OIDC_MFA_ACR_VALUES``);
- signing out also calls the provider's ``end_session_endpoint`` when it has one.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any
from urllib.parse import urlencode

import requests
from allauth.account.internal.decorators import login_not_required
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.stages import AuthenticateStage as _MFAStage
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialLogin
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.utils import generate_code_challenge
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from allauth.utils import build_absolute_uri
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url

from accounts import adapters

logger = logging.getLogger(__name__)

# What the session keeps of a provider sign-in: which provider, the raw ID token (the hint
# its end-session endpoint asks for) and whether the provider asserted MFA.
SESSION_KEY = "speakup_oidc"
PENDING_KEY = "speakup_oidc_pending"
_ASYMMETRIC = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
_WELL_KNOWN = "/.well-known/openid-configuration"


def provider_asserted_mfa(claims: dict[str, Any]) -> bool:
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    if "mfa" in amr:
        return True
    acr = claims.get("acr")
    return bool(acr) and acr in settings.OIDC_MFA_ACR_VALUES


def _issuer_of(server_url: str) -> str:
    return server_url.split(_WELL_KNOWN)[0].rstrip("/")


class OIDCAdapter(OpenIDConnectOAuth2Adapter):
    # The state allauth unstashed for this callback (where the nonce was kept).
    state: dict[str, Any] | None = None

    @property
    def openid_config(self) -> dict[str, Any]:
        config = super().openid_config
        expected = _issuer_of(self.get_provider().app.settings["server_url"])
        if str(config.get("issuer", "")).rstrip("/") != expected:
            raise OAuth2Error("The provider's discovery document names another issuer.")
        return config

    def complete_login(self, request: HttpRequest, app: SocialApp, token: Any, **kwargs: Any):
        raw = kwargs["response"].get("id_token")
        if not raw:
            raise OAuth2Error("The provider sent no ID token.")
        claims = self._decode_id_token(app, raw)
        data: dict[str, Any] = {"id_token": claims}
        if app.settings.get("fetch_userinfo", False):
            userinfo = self._fetch_user_info(token.token)
            if str(userinfo.get("sub")) != str(claims.get("sub")):
                raise OAuth2Error("The provider's userinfo is for another subject.")
            data["userinfo"] = userinfo
        login = self.get_provider().sociallogin_from_response(request, data)
        request.session[PENDING_KEY] = {
            "provider": app.provider_id,
            "uid": login.account.uid,
            "id_token": raw,
            "mfa": provider_asserted_mfa(claims),
        }
        return login

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        from allauth.core.internal.deferred import jwt

        config = self.openid_config
        announced = config.get("id_token_signing_alg_values_supported") or ["RS256"]
        allowed = [alg for alg in announced if alg in _ASYMMETRIC]
        try:
            header = jwt.get_unverified_header(id_token)
            if header.get("alg") not in allowed:
                raise OAuth2Error("The ID token's algorithm is not accepted.")
            alg, key = jwtkit.fetch_key(id_token, config["jwks_uri"], jwtkit.lookup_kid_jwk)
            claims = jwt.decode(
                id_token,
                key=key,
                algorithms=[alg],
                audience=app.client_id,
                issuer=config["issuer"],
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except (jwt.PyJWTError, KeyError, ValueError) as error:
            raise OAuth2Error(f"The ID token is not valid ({type(error).__name__}).") from error
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != app.client_id:
            raise OAuth2Error("The ID token was issued to another party.")
        expected = (self.state or {}).get("nonce")
        if not expected or not hmac.compare_digest(str(claims.get("nonce", "")), expected):
            raise OAuth2Error("The ID token's nonce does not match.")
        jwtkit.verify_jti(claims)
        return claims


class OIDCProvider(OpenIDConnectProvider):
    oauth2_adapter_class = OIDCAdapter
    package = "accounts.oidc"  # allauth mounts accounts/oidc/urls.py (our views)

    def get_pkce_params(self) -> dict[str, str]:
        return generate_code_challenge()  # always, whatever the app's settings

    def redirect(self, request: HttpRequest, process: Any, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        auth_params["nonce"] = nonce
        return super().redirect(
            request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs
        )


class _CallbackView(OAuth2CallbackView):
    def _get_state(self, request: HttpRequest, provider: Any):
        state, response = super()._get_state(request, provider)
        self.adapter.state = state  # type: ignore[attr-defined]
        return state, response


@login_not_required
def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Start a provider sign-in. The discovery document is read here first: a provider that
    cannot be reached, or whose document names another issuer, is a refusal (the page and the
    security log), not a server error, and the browser is sent nowhere."""
    adapter = OIDCAdapter(request, provider_id)
    try:
        return OAuth2LoginView.adapter_view(adapter)(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
    except (OAuth2Error, requests.RequestException) as error:
        refused: HttpResponse = render_authentication_error(
            request, adapter.get_provider(), exception=error
        )
        return refused


@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        return _CallbackView.adapter_view(OIDCAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


def _refuse(request: HttpRequest, *, provider: str, reason: str) -> ImmediateHttpResponse:
    from accounts import services
    from accounts.models import SecurityEvent

    services.security_event_record(
        kind=SecurityEvent.Kind.SIGN_IN_FAILED, detail=f"oidc:{provider}: {reason}"
    )
    request.session.pop(PENDING_KEY, None)
    response = render(request, "account/oidc_refused.html", {"reason": reason}, status=403)
    return ImmediateHttpResponse(response)


def verified_emails(sociallogin: SocialLogin) -> list[str]:
    adapter = get_social_adapter()
    return [
        address.email
        for address in sociallogin.email_addresses
        if address.email
        and (address.verified or adapter.is_email_verified(sociallogin.provider, address.email))
    ]


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """A provider's identity signs in to an account that already exists, never a new one."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        provider = sociallogin.account.provider
        if sociallogin.is_existing:  # the subject is already linked to an account
            return
        emails = verified_emails(sociallogin)
        if not emails:
            raise _refuse(request, provider=provider, reason="no verified email")
        users = list(get_user_model().objects.filter(email__iexact=emails[0], is_active=True)[:2])
        if len(users) != 1:
            raise _refuse(request, provider=provider, reason="no matching account")
        user = users[0]
        if SocialAccount.objects.filter(user=user, provider=provider).exists():
            # The account is linked to another identity at this provider (an address moved
            # from one person to another): an administrator must look at it.
            raise _refuse(request, provider=provider, reason="linked to another identity")
        sociallogin.connect(request, user)  # the subject is stored: matched by it from now on

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        from accounts import services
        from accounts.models import SecurityEvent

        reason = str(exception) if isinstance(exception, OAuth2Error) else str(error or "error")
        # The log names the error's kind only: a provider's message can quote what it was sent.
        kind = type(exception).__name__ if exception is not None else str(error or "error")
        logger.warning(
            "Provider sign-in refused (%s): %s", getattr(provider, "sub_id", provider.id), kind
        )
        services.security_event_record(
            kind=SecurityEvent.Kind.SIGN_IN_FAILED,
            detail=f"oidc:{getattr(provider, 'sub_id', provider.id)}: {reason}",
        )
        request.session.pop(PENDING_KEY, None)


def _pending_for_this_login(request: HttpRequest) -> dict[str, Any] | None:
    """The provider sign-in this session just completed, if this sign-in was by it."""
    pending = request.session.get(PENDING_KEY)
    methods = request.session.get("account_authentication_methods") or []
    if not pending or not methods:
        return None
    # (After the MFA challenge the last method is "mfa": the provider's comes before it.)
    for method in methods:
        if method.get("method") == "socialaccount" and method.get("uid") == pending.get("uid"):
            return pending
    return None


def provider_mfa_trusted(request: HttpRequest) -> bool:
    pending = _pending_for_this_login(request) or request.session.get(SESSION_KEY)
    return bool(settings.OIDC_TRUST_PROVIDER_MFA and pending and pending.get("mfa"))


class AuthenticateStage(_MFAStage):
    """allauth's MFA challenge, skipped only when the setting trusts the provider's MFA and
    the provider asserted it for this sign-in."""

    def _should_handle(self, request: HttpRequest) -> bool:
        if provider_mfa_trusted(request):
            return False
        return super()._should_handle(request)


class AccountAdapter(adapters.AccountAdapter):
    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """As for a password sign-in (h15), setting up the first MFA method within minutes
        of signing in with the provider does not send the person back to the provider."""
        if app == "allauth.mfa" and _first_enrolment_just_after_provider_sign_in():
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def get_login_stages(self) -> list[str]:
        return [
            "accounts.oidc.AuthenticateStage" if s == "allauth.mfa.stages.AuthenticateStage" else s
            for s in super().get_login_stages()
        ]

    def get_logout_redirect_url(self, request: HttpRequest) -> str:
        """After signing out of Speak Up, sign out of the provider too (RP-initiated logout),
        which comes back to the home page."""
        local = super().get_logout_redirect_url(request)
        info = request.session.get(SESSION_KEY)
        if not info:
            return local
        try:
            provider = get_social_adapter().get_provider(request, info["provider"])
            endpoint = provider.get_oauth2_adapter(request).openid_config.get(
                "end_session_endpoint"
            )
        except (SocialApp.DoesNotExist, OAuth2Error, requests.RequestException, KeyError):
            return local
        if not endpoint:
            return local
        query = urlencode(
            {
                "id_token_hint": info["id_token"],
                "client_id": provider.app.client_id,
                "post_logout_redirect_uri": build_absolute_uri(request, resolve_url(local)),
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def _first_enrolment_just_after_provider_sign_in() -> bool:
    import datetime as dt
    import time

    from allauth.account import app_settings
    from allauth.account.internal.flows.login import get_authentication_records
    from allauth.core import context
    from allauth.mfa.models import Authenticator

    request = context.request
    if request is None or not request.user.is_authenticated:
        return False
    records = get_authentication_records(request, request.user)
    latest = max((r.get("at", 0) for r in records if r.get("method") == "socialaccount"), default=0)
    if time.time() - latest >= app_settings.REAUTHENTICATION_TIMEOUT:
        return False
    signed_in = dt.datetime.fromtimestamp(latest, tz=dt.UTC)
    return not Authenticator.objects.filter(user=request.user, created_at__lt=signed_in).exists()


def on_signed_in(request: HttpRequest) -> None:
    """Keep what signing out of the provider needs; a provider that asserted MFA (and a
    setting that trusts it) counts as MFA for the enrolment check too."""
    from accounts.receivers import MFA_OK

    pending = _pending_for_this_login(request)
    request.session.pop(PENDING_KEY, None)
    if pending is None:
        request.session.pop(SESSION_KEY, None)
        return
    request.session[SESSION_KEY] = pending
    if settings.OIDC_TRUST_PROVIDER_MFA and pending.get("mfa"):
        request.session[MFA_OK] = True
