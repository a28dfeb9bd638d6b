"""Prepares the provider's database: the client registration for Speak Up and the accounts
the tests sign in with. Run once by the fixture before the server starts."""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.idp.settings")
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

spec = json.loads(sys.argv[1])
call_command("migrate", verbosity=0)
for client_id, client_secret in spec["clients"]:
    Application.objects.create(
        client_id=client_id,
        client_secret=client_secret,
        hash_client_secret=True,
        name=f"Speak Up ({client_id})",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(spec["redirect_uris"]),
        post_logout_redirect_uris=" ".join(spec["post_logout_redirect_uris"]),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
for account in spec["users"]:
    User.objects.create_user(
        account["username"],
        email=account.get("email", ""),
        password=spec["password"],
        first_name=account.get("first_name", ""),
        last_name=account.get("last_name", ""),
    )
