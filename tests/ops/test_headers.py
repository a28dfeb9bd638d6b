"""Security headers (issue 15.7): HSTS and the SSL redirect from the environment, on by
default with DEBUG off; a CSP that allows this site only; no page asks another host for
anything (the NHS.UK fonts included); `check --deploy` clean with the README's environment."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz"


def settings_in(env: dict[str, str], names: list[str]) -> dict:
    """The settings a fresh process derives from ``env`` (settings are read once, at start)."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}, default=str))"
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECURE_COOKIES", "SECURE_SSL_REDIRECT"}
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


NAMES = ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE"]


def test_tls_settings_are_on_by_default_with_debug_off():
    assert settings_in({"DEBUG": "0"}, NAMES) == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SESSION_COOKIE_SECURE": True,
    }


def test_hsts_max_age_and_the_redirect_are_settable():
    got = settings_in({"DEBUG": "0", "HSTS_SECONDS": "600", "SECURE_SSL_REDIRECT": "0"}, NAMES)
    assert got["SECURE_HSTS_SECONDS"] == 600
    assert got["SECURE_SSL_REDIRECT"] is False


def test_the_test_and_serve_environments_turn_them_off():
    # ./scripts/test and the helpers' commands run with SECURE_COOKIES=0; serve with DEBUG=1
    assert settings_in({"DEBUG": "0", "SECURE_COOKIES": "0"}, NAMES) == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SESSION_COOKIE_SECURE": False,
    }
    assert settings_in({"DEBUG": "1"}, NAMES)["SECURE_SSL_REDIRECT"] is False


def test_check_deploy_is_clean_with_the_readmes_production_environment(tmp_path):
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n# production environment\n(.*?)```", readme, re.S)
    assert block, "README has a '# production environment' block"
    env = {}
    for line in block.group(1).splitlines():
        if "=" in line and not line.startswith("#"):
            name, value = line.removeprefix("export ").split("=", 1)
            env[name] = value.split(" #")[0].strip().strip("'\"")
    # the placeholders of secrets, filled in as an operator would
    from cryptography.fernet import Fernet

    env.update(
        SECRET_KEY=SECRET,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        SPEAKUP_PEPPER="p" * 40,
        SPEAKUP_DATA_DIR=str(tmp_path),
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECURE_COOKIES", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**base, **env, "DATABASE_URL": "sqlite:///" + str(tmp_path / "db.sqlite3")},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_the_csp_allows_this_site_only(client, settings):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    # sockets to this site's own host only: no bare ws:/wss: scheme, no other host
    connect = directives["connect-src"].split()
    assert "ws:" not in connect and "wss:" not in connect
    site_host = settings.SITE_URL.split("://", 1)[1].split("/")[0]
    assert all(src == "'self'" or src.endswith("://" + site_host) for src in connect)


@pytest.mark.django_db
def test_pages_ask_no_other_host_for_anything(client):
    # given the page and every stylesheet it links
    html = client.get("/").content.decode()
    # (a link the user may follow, such as "Exit this page", is not a request the page makes)
    assert not re.search(r"""src=["'](https?:)?//""", html)
    assert not re.search(r"""<link[^>]+href=["'](https?:)?//""", html)
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert any("nhsuk-frontend" in s for s in stylesheets)
    if not (ROOT / "static" / "vendor" / "nhsuk-frontend.min.css").exists():
        # pytest run without ./scripts/test's set-up: build it as the set-up would
        subprocess.run([sys.executable, "scripts/nhsuk_css.py"], cwd=ROOT, check=True)
    for href in stylesheets:
        path = ROOT / "static" / href.removeprefix("/static/")
        assert path.exists(), f"{href} not built (scripts/nhsuk_css.py, npm ci)"
        css = path.read_text()
        # then no stylesheet loads a font or anything else from another host
        assert "@font-face" not in css
        assert not re.search(r"url\((['\"]?)(https?:)?//", css), href
