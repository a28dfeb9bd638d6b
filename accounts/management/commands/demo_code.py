"""The current TOTP code of a demo account, for trying the demo without an authenticator
app. DEBUG only: it reads an account's MFA secret."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo account (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?", default="gemma")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_code reads an account's MFA secret: it runs with DEBUG on.")
        from allauth.mfa.adapter import get_adapter
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

        user = get_user_model().objects.filter(username=options["username"]).first()
        auth = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if user is None or auth is None:
            raise CommandError("No such account with an authenticator app.")
        secret = get_adapter().decrypt(auth.data["secret"])
        now = time.time()
        code = format_hotp_value(hotp_value(secret, int(now // 30)))
        self.stdout.write(f"{code}  (for {int(30 - now % 30)} more seconds)")
