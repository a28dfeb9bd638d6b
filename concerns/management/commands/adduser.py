"""manage.py adduser USERNAME --role ROLE [--organisation CODE]...

The password comes from the SPEAKUP_PASSWORD environment variable, or is asked for twice.
It is never accepted on the command line, where it would end up in shell history.
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from concerns.models import Organisation
from concerns.roles import Role
from concerns.services import user_create

ROLES_NEEDING_ORGANISATION = {Role.GUARDIAN, Role.LEAD_GUARDIAN, Role.COMMITTEE}


class Command(BaseCommand):
    help = "Create a user with one role (or update an existing one), tied to organisations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=", ".join(r.value for r in Role))
        parser.add_argument(
            "--organisation",
            action="append",
            default=[],
            metavar="CODE",
            help="Organisation code the user serves (repeat for several)",
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args: Any, username: str, role: str, **options: Any) -> None:
        try:
            chosen = Role(role.strip().lower())
        except ValueError:
            names = ", ".join(r.value for r in Role)
            raise CommandError(f"Unknown role '{role}'. Choose one of: {names}.") from None
        codes = [c.strip().upper() for c in options["organisation"] if c.strip()]
        organisations = list(Organisation.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {o.code for o in organisations})
        if missing:
            raise CommandError(f"Unknown organisation code(s): {', '.join(missing)}.")
        if chosen in ROLES_NEEDING_ORGANISATION and not organisations:
            raise CommandError(f"A {chosen.value} needs at least one --organisation CODE.")
        password = self._password(username)
        user = user_create(
            username=username,
            password=password,
            role=chosen,
            organisations=organisations,
            email=options["email"],
            first_name=options["first_name"],
            last_name=options["last_name"],
        )
        where = f" for {', '.join(o.code for o in organisations)}" if organisations else ""
        self.stdout.write(self.style.SUCCESS(f"Saved {user.get_username()} as {chosen}{where}"))

    def _password(self, username: str) -> str:
        password = os.environ.get("SPEAKUP_PASSWORD")
        if password is None:
            try:
                password = getpass.getpass("Password: ")
                if password != getpass.getpass("Password (again): "):
                    raise CommandError("The passwords did not match.")
            except (EOFError, KeyboardInterrupt):
                raise CommandError(
                    "No password: set SPEAKUP_PASSWORD or run in a terminal."
                ) from None
        if not password:
            raise CommandError("The password cannot be empty.")
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        return password
