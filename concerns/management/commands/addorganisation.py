"""manage.py addorganisation CODE "NAME" [--kind trust|gp_practice|...] [--department NAME]..."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from concerns.models import Department, Organisation
from concerns.services import organisation_create

# ODS codes are short upper-case alphanumerics (e.g. RX1, Y01234).
_CODE = re.compile(r"^[A-Z0-9]{2,12}$")


class Command(BaseCommand):
    help = "Create an organisation (a placement provider), or rename it if the code exists."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="ODS-style code, e.g. RX1")
        parser.add_argument("name", help="Full name, e.g. 'North Placement NHS Trust'")
        parser.add_argument(
            "--kind", choices=Organisation.Kind.values, default=Organisation.Kind.TRUST
        )
        parser.add_argument(
            "--department",
            action="append",
            default=[],
            help="A department or site (repeat for several)",
        )

    def handle(self, *args: Any, code: str, name: str, kind: str, **options: Any) -> None:
        code = code.strip().upper()
        if not _CODE.match(code):
            raise CommandError(f"'{code}' is not a valid code: use 2-12 letters and digits.")
        if not name.strip():
            raise CommandError("Give the organisation a name.")
        existed = Organisation.objects.filter(code=code).exists()
        organisation = organisation_create(code=code, name=name, kind=kind)
        for department in options["department"]:
            if department.strip():
                Department.objects.get_or_create(organisation=organisation, name=department.strip())
        verb = "Updated" if existed else "Created"
        self.stdout.write(self.style.SUCCESS(f"{verb} {organisation}"))
