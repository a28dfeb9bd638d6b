"""manage.py verify_case_log: walk every case's hash chain and report any that is broken.

Exits with status 1 when a chain is broken, so it can run from cron or CI and alert.
Only references and event numbers are printed, never event notes.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflow.events import case_log_verify
from workflow.models import Case


class Command(BaseCommand):
    help = "Verify the tamper-evident event log of every case; exit 1 if any is broken."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("references", nargs="*", help="Only these cases (default: all)")

    def handle(self, *args: Any, references: list[str], **options: Any) -> None:
        cases = Case.objects.only("id", "reference", "log_head").order_by("id")
        if references:
            cases = cases.filter(reference__in=references)
        checked = broken = 0
        for case in cases.iterator(chunk_size=500):
            checked += 1
            problem = case_log_verify(case=case)
            if problem is not None:
                broken += 1
                self.stdout.write(
                    self.style.ERROR(
                        f"BROKEN {problem.case_reference} at event {problem.seq}: {problem.problem}"
                    )
                )
        if broken:
            raise CommandError(f"{broken} of {checked} case log(s) are broken.", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"All {checked} case log(s) verify."))
