"""Security properties of the configuration that every page and API call relies on."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

from concerns.crypto import EncryptedBinaryField, EncryptedTextField

ROOT = Path(__file__).resolve().parents[2]

# Every field that can carry words a reporter or guardian wrote, or a reporter's identity.
MUST_BE_ENCRYPTED = {
    ("concerns", "Concern"): {"description", "outcome_hoped", "reporter_name", "reporter_contact"},
    ("concerns", "Attachment"): {"filename", "data"},
    ("workflow", "Message"): {"body"},
    ("workflow", "InternalNote"): {"body"},
    ("workflow", "CaseEvent"): {"note"},
    ("workflow", "Outcome"): {"findings", "actions", "lessons"},
    ("workflow", "Detriment"): {"note"},
    ("workflow", "SpeakUpAgainResponse"): {"comment"},
    ("workflow", "Case"): {"referral_reason", "reopen_reason"},
}


@pytest.mark.parametrize(("model_key", "fields"), MUST_BE_ENCRYPTED.items())
def test_free_text_and_identity_fields_are_encrypted_at_rest(model_key, fields):
    model = apps.get_model(*model_key)
    for name in fields:
        field = model._meta.get_field(name)
        assert isinstance(field, EncryptedTextField | EncryptedBinaryField), name


def test_no_unencrypted_free_text_column_in_our_apps():
    # Given every TextField in our own apps
    ours = {"concerns", "workflow", "notifications", "reports"}
    plain = [
        f"{m._meta.label}.{f.name}"
        for m in apps.get_models()
        if m._meta.app_label in ours
        for f in m._meta.concrete_fields
        if type(f) is models.TextField
    ]
    # Then only reference data (the published quality standards' own text) is left in clear
    assert set(plain) <= {"concerns.QualityStandard.text", "reports.NationalFigure.source"}, plain


def _run_settings(env: dict[str, str], code: str = "") -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serving_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    for module in ("config.wsgi", "config.asgi"):
        result = _run_settings({"SPEAKUP_DATA_DIR": str(tmp_path)}, f"import {module}")
        assert result.returncode != 0, module
        assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_serving_starts_with_a_secret_key_from_the_environment(tmp_path):
    env = {"SPEAKUP_DATA_DIR": str(tmp_path), "SECRET_KEY": "a-real-key-from-the-environment"}
    assert _run_settings(env, "import config.wsgi").returncode == 0


def test_management_commands_run_without_a_secret_key_and_the_deploy_check_flags_it(tmp_path):
    env = {"SPEAKUP_DATA_DIR": str(tmp_path)}
    plain = _run_settings(
        env, "from django.core.management import call_command; call_command('check')"
    )
    assert plain.returncode == 0, plain.stderr
    deploy = _run_settings(
        env, "from django.core.management import call_command; call_command('check', deploy=True)"
    )
    assert deploy.returncode != 0
    assert "speakup.E001" in deploy.stderr


def test_debug_run_creates_its_own_keys_outside_git(tmp_path):
    result = _run_settings({"DEBUG": "1", "SPEAKUP_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "field-encryption.key"
    assert key_file.exists()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    ignored = (ROOT / ".gitignore").read_text()
    assert "/var/" in ignored


def test_pages_are_not_cached_and_carry_a_content_security_policy(client, db):
    response = client.get("/")
    assert response["Cache-Control"] == "no-store, private"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_not_found_page_does_not_echo_the_request(client, db):
    secret = "SU-2026-99999-jane.doe@example.org"
    response = client.get(f"/no-such-page/{secret}/?name=Jane+Doe")
    assert response.status_code == 404
    body = response.content.decode()
    assert "jane.doe" not in body
    assert "Jane" not in body


def test_api_not_found_is_json(client, db):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Page not found"}


@pytest.mark.parametrize(("flag", "expected"), [(None, ["True", "5"]), ("0", ["False", "None"])])
def test_postgresql_prepares_statements_unless_a_pooler_forbids_it(tmp_path, flag, expected):
    # (PgBouncer in transaction mode cannot keep a prepared statement between transactions)
    env = {
        "SPEAKUP_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://speakup@db.invalid:5432/speakup",
        **({"DB_PREPARED_STATEMENTS": flag} if flag else {}),
    }
    code = (
        "from django.conf import settings; db = settings.DATABASES['default']; "
        "o = db.get('OPTIONS', {}); "
        "print(db['ENGINE'], bool(o.get('server_side_binding')), o.get('prepare_threshold'))"
    )

    result = _run_settings(env, code)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.postgresql", *expected]
