from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from reports.fastpaths import tables_analyze
from reports.services import ROLLUP_MODELS, rollups_for_month_counts, rollups_rebuild


class Command(BaseCommand):
    help = "Recompute every report rollup from the concerns and cases (safe to re-run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", type=int, action="append", dest="organisations")

    def handle(self, *args: object, **options: object) -> None:
        started = time.monotonic()
        done = rollups_rebuild(organisation_ids=options.get("organisations"))
        tables_analyze(ROLLUP_MODELS)
        sizes = rollups_for_month_counts()
        self.stdout.write(
            f"Rebuilt rollups for {done} organisation(s) in {time.monotonic() - started:.1f}s: "
            + ", ".join(f"{k} {v}" for k, v in sizes.items())
        )
