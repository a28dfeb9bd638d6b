"""./scripts/production refuses to start on a missing variable or a loopback SITE_URL."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from ops.production import problems

ROOT = Path(__file__).resolve().parents[2]


def good_env() -> dict[str, str]:
    return {
        "DATABASE_URL": "postgres://speakup@db.internal:5432/speakup",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "SECRET_KEY": "k" * 30 + "0123456789abcdefghij",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SPEAKUP_PEPPER": "p" * 40,
        "EMAIL_URL": "smtp+tls://mailer:pw@smtp.internal:587",
        "SITE_URL": "https://speakup.example.nhs.uk",
    }


def test_a_complete_environment_passes():
    assert problems(good_env()) == []


@pytest.mark.parametrize("name", sorted(good_env()))
def test_each_required_variable_is_named_when_missing(name):
    env = good_env()
    del env[name]
    assert any(p.startswith(f"{name} is not set") for p in problems(env))


@pytest.mark.parametrize(
    "site",
    [
        "http://127.0.0.1:8000",
        "https://localhost",
        "http://[::1]:8000",
        "http://127.1.2.3",
        "http://0.0.0.0:8000",
        "https://app.localhost",
    ],
)
def test_a_loopback_site_url_is_refused(site):
    env = {**good_env(), "SITE_URL": site}
    assert any("loopback" in p for p in problems(env))


def test_other_mistakes_are_named():
    env = {
        **good_env(),
        "DATABASE_URL": "sqlite:///x.db",
        "DEBUG": "1",
        "FIELD_ENCRYPTION_KEYS": "not-a-key",
        "SITE_URL": "speakup.example",
        "SECRET_KEY": "short",
    }
    found = " | ".join(problems(env))
    for words in ["PostgreSQL", "DEBUG is on", "key 1 is not a Fernet key", "http(s) URL", "50"]:
        assert words in found


def test_the_script_refuses_before_starting_anything(tmp_path):
    # when run for real with a loopback SITE_URL and no EMAIL_URL
    env = {
        **{k: v for k, v in os.environ.items() if k not in good_env()},
        **good_env(),
        "SITE_URL": "http://127.0.0.1:8000",
        "SPEAKUP_DATA_DIR": str(tmp_path),
    }
    del env["EMAIL_URL"]
    result = subprocess.run(
        [str(ROOT / "scripts" / "production")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then it exits 2 with a clear message and nothing was started
    assert result.returncode == 2
    assert "EMAIL_URL is not set" in result.stderr
    assert "loopback" in result.stderr
    assert "refusing to start" in result.stderr
    assert not (tmp_path / "run").exists()
