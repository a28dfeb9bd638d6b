"""manage.py verify_backup FILE: check this database (a restore) against FILE's manifest.

Row counts match, the keys and pepper are the backup's, a sample of every encrypted field
decrypts, every case log verifies. Exits 1 on any problem; prints no content."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.backup import MANIFEST_SUFFIX, Manifest, backup_verify


class Command(BaseCommand):
    help = "Verify a restored database against its backup's manifest; exit 1 on a problem."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dump", type=Path, help="the dump (its manifest sits beside it)")
        parser.add_argument("--sample", type=int, default=50, help="rows per encrypted model")

    def handle(self, *args: Any, dump: Path, sample: int, **options: Any) -> None:
        path = dump.with_name(dump.name + MANIFEST_SUFFIX)
        if not path.exists():
            raise CommandError(f"no manifest at {path}")
        report = backup_verify(manifest=Manifest.read(path), sample=sample)
        for problem in report.problems:
            self.stdout.write(self.style.ERROR(f"PROBLEM {problem}"))
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problem(s) found.", returncode=1)
        self.stdout.write(
            self.style.SUCCESS(
                f"Restore verified: {report.tables_checked} tables' counts match, "
                f"{report.decrypted} encrypted rows decrypt, every case log verifies."
            )
        )
