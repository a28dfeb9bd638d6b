"""Starts the test identity provider (tests/idp) as a second process: its own database, its
own RSA signing key, a port of its own (the first free one from 18600), and the accounts and
client registration the tests need. ``idp`` is the pytest fixture (session-wide)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "provider-password-for-tests"
CLIENT_ID = "speakup-test-client"
CLIENT_SECRET = "speakup-test-secret-0123456789"  # (test only)
# A second registration, for the two-provider tests (a trust with two sign-in buttons).
SECOND_CLIENT_ID = "speakup-second-client"
SECOND_CLIENT_SECRET = "speakup-second-secret-9876543210"  # (test only)
# The provider ids Speak Up's callbacks may carry: the tests' own, the one OIDC_ISSUER_URL
# builds (``org``) and a second one from OIDC_PROVIDERS.
PROVIDER_IDS = ["testidp", "org", "second"]
# Speak Up's own side, as the test client (and, for the browser tests, a live server) sees it.
OUR_ORIGINS = ["https://testserver", "http://testserver", "http://localhost:18690"]

# Accounts at the provider. Speak Up's accounts with the same addresses are made by the tests.
USERS = [
    {"username": "gina-idp", "email": "gina@example.nhs.uk"},
    {"username": "GINA-CASE", "email": "Gina.Case@Example.NHS.uk"},
    {"username": "stranger", "email": "nobody-here@example.nhs.uk"},
    {"username": "unverified", "email": "gina@example.nhs.uk", "last_name": "unverified"},
    {"username": "mfa-user", "email": "gina@example.nhs.uk", "first_name": "mfa"},
    {"username": "tamper-gina", "email": "gina@example.nhs.uk"},
    {"username": "expired-gina", "email": "gina@example.nhs.uk"},
    {"username": "nonce-gina", "email": "gina@example.nhs.uk"},
    {"username": "aud-gina", "email": "gina@example.nhs.uk"},
    {"username": "rogue-gina", "email": "gina@example.nhs.uk"},
    {"username": "iss-gina", "email": "gina@example.nhs.uk"},
    {"username": "newguardian-idp", "email": "new.guardian@example.nhs.uk"},
]


@dataclass
class IdP:
    url: str
    process: subprocess.Popen
    log: Path
    sessions: list = field(default_factory=list)

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    def app_settings(self, **extra) -> dict:
        """SOCIALACCOUNT_PROVIDERS for Speak Up, the shape config/settings.py builds."""
        from config.settings import _oidc_app

        app = _oidc_app(
            {
                "id": "testidp",
                "name": "Test NHS login",
                "issuer_url": self.issuer,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                **extra,
            }
        )
        return {
            "openid_connect": {
                "provider_class": "accounts.oidc.OIDCProvider",
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [app],
            }
        }

    def browser(self, username: str) -> requests.Session:
        """A person's browser, signed in at the provider."""
        session = requests.Session()
        page = session.get(f"{self.url}/login/", timeout=10)
        page.raise_for_status()
        response = session.post(
            f"{self.url}/login/",
            data={
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
                "next": "/whoami/",
            },
            headers={"Referer": f"{self.url}/login/"},
            timeout=10,
        )
        assert response.json()["username"] == username, response.text[:300]
        return session

    def whoami(self, session: requests.Session) -> str | None:
        return session.get(f"{self.url}/whoami/", timeout=10).json()["username"]


def _free_port(start: int = 18600, stop: int = 18690) -> int:
    for port in range(start, stop):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for the test identity provider")


@pytest.fixture(scope="session")
def idp():
    directory = Path(tempfile.mkdtemp(prefix="speakup-idp-"))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (directory / "signing-key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(DJANGO_SETTINGS_MODULE="tests.idp.settings", IDP_DIR=str(directory))
    spec = {
        "clients": [(CLIENT_ID, CLIENT_SECRET), (SECOND_CLIENT_ID, SECOND_CLIENT_SECRET)],
        "password": PASSWORD,
        "users": USERS,
        "redirect_uris": [
            f"{origin}/accounts/oidc/{provider}/login/callback/"
            for origin in OUR_ORIGINS
            for provider in PROVIDER_IDS
        ],
        "post_logout_redirect_uris": [f"{origin}/" for origin in OUR_ORIGINS],
    }
    subprocess.run(
        [sys.executable, "-m", "tests.idp.setup", json.dumps(spec)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    port = _free_port()
    log = directory / "server.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/o/.well-known/openid-configuration", timeout=2).raise_for_status()
            break
        except requests.RequestException as error:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"test provider did not start:\n{log.read_text()}") from error
            time.sleep(0.2)
    try:
        yield IdP(url=url, process=process, log=log)
    finally:
        process.terminate()
        process.wait(timeout=10)
