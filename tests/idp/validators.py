"""The provider's claims, and the misbehaviours the tests ask for by account name:

- ``tamper-*``: the ID token's payload is changed after signing (another email address);
- ``expired-*``: the ID token expired a minute before it was issued;
- ``nonce-*``: the ID token carries a nonce other than the one Speak Up sent;
- ``aud-*``: the ID token is for another client;
- ``rogue-*``: the ID token is signed with a key that is not the provider's;
- ``iss-*``: the ID token names another issuer (signed properly, by the provider's own key).

``/mixup/.well-known/openid-configuration`` (tests/idp/urls.py) is the provider's own discovery
document served under another address, so that it names an issuer other than the one configured.

An account whose last name is ``unverified`` has ``email_verified`` false; ``mfa`` as first name
makes the provider assert MFA (``amr``: pwd, mfa; ``acr``: the AAL2 value)."""

from __future__ import annotations

import base64
import json
import time

from jwcrypto import jwk, jwt
from oauth2_provider.oauth2_validators import OAuth2Validator

_ROGUE = jwk.JWK.generate(kty="RSA", size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Validator(OAuth2Validator):
    oidc_claim_scope = None

    def get_additional_claims(self, request):
        user = request.user
        claims = {
            "email": user.email,
            "email_verified": user.last_name != "unverified",
            "name": user.get_full_name() or user.username,
            "preferred_username": user.username,
        }
        if user.first_name == "mfa":
            claims["amr"] = ["pwd", "mfa"]
            claims["acr"] = "AAL2"
        return claims

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration = super().get_id_token_dictionary(token, token_handler, request)
        name = request.user.username
        if name.startswith("expired-"):
            claims["exp"] = int(time.time()) - 60
        if name.startswith("nonce-"):
            claims["nonce"] = "not-the-nonce-that-was-sent"
        if name.startswith("aud-"):
            claims["aud"] = "another-client"
        if name.startswith("iss-"):
            claims["iss"] = "https://another-issuer.example.org/o"
        return claims, expiration

    def finalize_id_token(self, id_token, token, token_handler, request):
        serialized = super().finalize_id_token(id_token, token, token_handler, request)
        name = request.user.username
        header, payload, signature = serialized.split(".")
        if name.startswith("tamper-"):
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            claims["email"] = "lena@example.nhs.uk"
            payload = _b64(json.dumps(claims).encode())
            return f"{header}.{payload}.{signature}"
        if name.startswith("rogue-"):
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
            forged = jwt.JWT(header={"alg": "RS256", "kid": kid, "typ": "JWT"}, claims=claims)
            forged.make_signed_token(_ROGUE)
            return forged.serialize()
        return serialized
