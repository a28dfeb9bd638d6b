"""Backup, restore and the check of a restored database.

A backup is ``pg_dump``'s custom format plus a manifest (row counts per table, the last
migration, fingerprints of the keys it needs). It holds ciphertext only: the encryption keys
(``FIELD_ENCRYPTION_KEYS``) and the pepper (``SPEAKUP_PEPPER``) are not in it and must be
kept apart from it (another store, other people), or a stolen backup is a readable one;
without them a backup cannot be read at all, so keep them as carefully as the backup.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Max
from django.utils import timezone

from concerns.crypto import encrypted_fields

MANIFEST_SUFFIX = ".manifest.json"


class BackupError(Exception):
    pass


def _libpq(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore connection options and environment for one DATABASES entry."""
    if not db["ENGINE"].startswith(("django.db.backends.postgresql", "config.postgresql")):
        raise BackupError("backups are for PostgreSQL (DATABASE_URL=postgres://...)")
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")
    return path


def _fingerprint(secret: str) -> str:
    # Enough to tell whether the same secret is in place at restore; reveals nothing of it.
    return hashlib.sha256(b"speakup-backup-fingerprint:" + secret.encode()).hexdigest()[:16]


def table_counts() -> dict[str, int]:
    """Rows per table (many-to-many tables too), by table name as the manifest keeps them."""
    counts: dict[str, int] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        counts[model._meta.db_table] = model._base_manager.count()
    return dict(sorted(counts.items()))


def last_migrations() -> dict[str, str]:
    """The last migration applied, per app."""
    applied = MigrationRecorder(connection).migration_qs
    last = applied.order_by().values("app").annotate(last=Max("name")).order_by("app")
    return {row["app"]: row["last"] for row in last}


@dataclass(frozen=True)
class Manifest:
    created_at: str
    tables: dict[str, int]
    migrations: dict[str, str]
    key_fingerprints: list[str]
    pepper_fingerprint: str

    @classmethod
    def read(cls, path: Path) -> Manifest:
        return cls(**json.loads(path.read_text()))


def backup_create(*, output: Path) -> Manifest:
    """Dump the database to ``output`` (custom format) and write its manifest beside it."""
    args, env = _libpq(settings.DATABASES["default"])
    output.parent.mkdir(parents=True, exist_ok=True)
    # Counted inside one snapshot is not possible across pg_dump's own connection; counting
    # just before the dump is what the restore check compares, so the app should be quiet
    # (or the counts are a lower bound: the check says which tables differ).
    manifest = Manifest(
        created_at=timezone.now().isoformat(),
        tables=table_counts(),
        migrations=last_migrations(),
        key_fingerprints=[_fingerprint(k) for k in settings.FIELD_ENCRYPTION_KEYS],
        pepper_fingerprint=_fingerprint(settings.SPEAKUP_PEPPER),
    )
    dumped = subprocess.run(  # noqa: S603 - a fixed program, our own arguments
        [
            *(_program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"),
            *("--file", str(output), *args),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if dumped.returncode:
        raise BackupError(f"pg_dump failed: {dumped.stderr.strip()[-500:]}")
    output.with_name(output.name + MANIFEST_SUFFIX).write_text(
        json.dumps(manifest.__dict__, indent=2, sort_keys=True)
    )
    output.chmod(0o600)
    return manifest


def backup_restore(*, dump: Path, database: dict[str, Any]) -> None:
    """Restore ``dump`` into ``database``, which must exist and be empty."""
    args, env = _libpq(database)
    probe = subprocess.run(  # noqa: S603
        [
            *(_program("psql"), "-Atc"),
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
            *args,
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    if probe.stdout.strip() != "0":
        raise BackupError("the target database is not empty: restore into a fresh one")
    result = subprocess.run(  # noqa: S603
        [
            _program("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            str(dump),
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()[-500:]}")


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    tables_checked: int = 0
    decrypted: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def backup_verify(*, manifest: Manifest, sample: int = 50) -> VerifyReport:
    """Check the current database against a backup's manifest: same row counts, the keys
    and pepper in place, a sample of every encrypted field decrypts, and every case's
    hash chain verifies (which needs the pepper)."""
    from workflow.events import case_log_verify
    from workflow.models import Case

    report = VerifyReport()
    fingerprints = [_fingerprint(k) for k in settings.FIELD_ENCRYPTION_KEYS]
    if not set(manifest.key_fingerprints) & set(fingerprints):
        report.problems.append("none of the backup's encryption keys is in FIELD_ENCRYPTION_KEYS")
    if manifest.pepper_fingerprint != _fingerprint(settings.SPEAKUP_PEPPER):
        report.problems.append("SPEAKUP_PEPPER is not the backup's pepper")
    counts = table_counts()
    for table, expected in manifest.tables.items():
        report.tables_checked += 1
        if counts.get(table) != expected:
            report.problems.append(f"{table}: {counts.get(table)} rows, backup had {expected}")
    for model in apps.get_models():
        names = encrypted_fields(model)
        if not names:
            continue
        rows = model._default_manager.order_by("?").only("pk", *names)[:sample]
        try:
            for row in rows.iterator():
                for name in names:
                    getattr(row, name)
                report.decrypted += 1
        except Exception as exc:  # InvalidToken (wrong keys) above all
            report.problems.append(f"{model._meta.label}: cannot decrypt ({type(exc).__name__})")
    for case in Case.objects.only("id", "reference", "log_head").iterator(chunk_size=500):
        problem = case_log_verify(case=case)
        if problem is not None:
            report.problems.append(f"case log broken at event {problem.seq}")
    return report
