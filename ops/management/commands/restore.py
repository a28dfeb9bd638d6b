"""manage.py restore FILE --into postgres://.../fresh_db: pg_restore into an empty database.
Then check it: DATABASE_URL=postgres://.../fresh_db manage.py verify_backup FILE."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup into a fresh, empty PostgreSQL database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dump", type=Path)
        parser.add_argument("--into", required=True, help="the empty database's URL")

    def handle(self, *args: Any, dump: Path, into: str, **options: Any) -> None:
        database = dj_database_url.parse(into)
        try:
            backup_restore(dump=dump, database=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Restored {dump} into {database['NAME']}."))
