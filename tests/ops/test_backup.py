"""Backup → restore into a fresh database → verify, on PostgreSQL; and the verification
failing as it should: the wrong keys, the wrong pepper, a lost row, a tampered event."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from concerns.roles import Role
from tests.factories import make_user, raise_concern
from workflow.services import handling

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="pg_dump backups are PostgreSQL's"
    ),
]


@pytest.fixture
def restore_db():
    name = f"{settings.DATABASES['default']['NAME'].removeprefix('test_')}_restore"
    admin = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc"]
    subprocess.run([*admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
    subprocess.run([*admin, f"CREATE DATABASE {name}"], check=True)
    yield f"postgres://postgres@127.0.0.1:5432/{name}"
    subprocess.run([*admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)


def verify(dump: Path, database_url: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "verify_backup", str(dump)],
        env={**os.environ, "DATABASE_URL": database_url, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def psql(database_url: str, sql: str) -> None:
    subprocess.run(["psql", database_url, "-qc", sql], check=True, capture_output=True)


@pytest.fixture
def backed_up(tmp_path, org, lead, guardian):
    reporter = make_user(Role.REPORTER, username="rhea")
    for i in range(4):
        raised = raise_concern(org, route="anonymous", description=f"Anonymous concern {i}")
        handling.case_assign(case=raised.case, guardian=guardian, actor=lead)
    raise_concern(
        org,
        route="confidential",
        reporter=reporter,
        reporter_name="Rhea Reporter",
        reporter_contact="rhea@example.org",
    )
    dump = tmp_path / "speakup.dump"
    call_command("backup", str(dump))
    return dump


def test_backup_restore_verify(backed_up, restore_db):
    dump = backed_up
    # the dump holds no key and no pepper, and only ciphertext
    raw = dump.read_bytes()
    for key in settings.FIELD_ENCRYPTION_KEYS:
        assert key.encode() not in raw
    assert settings.SPEAKUP_PEPPER.encode() not in raw
    assert b"Rhea Reporter" not in raw and b"Anonymous concern" not in raw
    assert dump.with_name(dump.name + ".manifest.json").exists()
    # when restored into a fresh database and verified with the same keys and pepper
    call_command("restore", str(dump), into=restore_db)
    result = verify(dump, restore_db)
    # then counts match, the encrypted fields decrypt and every case log verifies
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Restore verified" in result.stdout
    assert "decrypt" in result.stdout


def test_a_restore_needs_a_fresh_database(backed_up, restore_db):
    call_command("restore", str(backed_up), into=restore_db)
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(backed_up), into=restore_db)


def test_verify_fails_with_other_keys_or_pepper(backed_up, restore_db, tmp_path):
    call_command("restore", str(backed_up), into=restore_db)
    other = verify(
        backed_up,
        restore_db,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        SPEAKUP_PEPPER="not-the-pepper-" + "x" * 20,
    )
    assert other.returncode == 1
    assert "none of the backup's encryption keys" in other.stdout
    assert "cannot decrypt (InvalidToken)" in other.stdout
    assert "SPEAKUP_PEPPER is not the backup's pepper" in other.stdout
    assert "case log broken" in other.stdout
    # and the output names no content
    assert "Anonymous concern" not in other.stdout + other.stderr


def test_verify_finds_a_lost_row_and_a_tampered_event(backed_up, restore_db):
    call_command("restore", str(backed_up), into=restore_db)
    psql(
        restore_db,
        "DELETE FROM notifications_notification WHERE id = (SELECT MIN(id) FROM "
        "notifications_notification)",
    )
    psql(
        restore_db,
        "UPDATE workflow_caseevent SET to_state = 'closed' WHERE id = "
        "(SELECT MAX(id) FROM workflow_caseevent)",
    )
    result = verify(backed_up, restore_db)
    assert result.returncode == 1
    assert "notifications_notification:" in result.stdout
    assert "case log broken" in result.stdout
