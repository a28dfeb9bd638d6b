"""manage.py backup FILE: pg_dump (custom format) plus FILE.manifest.json (counts, key
fingerprints). The keys and pepper are NOT in it: keep them apart (README, "Backups")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.backup import MANIFEST_SUFFIX, BackupError, backup_create


class Command(BaseCommand):
    help = "Back the database up with pg_dump and write a manifest for verify_backup."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", type=Path, help="the dump file to write")

    def handle(self, *args: Any, output: Path, **options: Any) -> None:
        try:
            manifest = backup_create(output=output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest.tables.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {rows} rows in {len(manifest.tables)} tables to {output} "
                f"(manifest {output.name}{MANIFEST_SUFFIX})."
            )
        )
