"""The demo's staff can sign in: password, then the code for the printed demo key."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from tests.accounts.conftest import MFA, post_password
from tests.factories import totp_code
from workflow.management.commands.demo import DEMO_TOTP_SECRET_DEFAULT

pytestmark = pytest.mark.django_db


def test_demo_staff_sign_in_with_the_printed_key(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("demo", "--concerns", "8", stdout=out)
    assert DEMO_TOTP_SECRET_DEFAULT in out.getvalue()

    client = Client()
    response = post_password(client, "gemma", "speakup-demo")
    assert response["Location"].startswith(MFA)
    assert client.post(MFA, {"code": totp_code(DEMO_TOTP_SECRET_DEFAULT)}).status_code == 302
    assert client.get("/cases/").status_code == 200
    # A reporter of the demo signs in with the password alone
    reporter = Client()
    assert post_password(reporter, "rob", "speakup-demo").status_code == 302
    assert reporter.get("/my-concerns/").status_code == 200


def test_demo_code_prints_the_current_code(settings):
    settings.DEBUG = True
    call_command("demo", "--concerns", "4", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_code", "leo", stdout=out)
    assert out.getvalue().split()[0] == totp_code(DEMO_TOTP_SECRET_DEFAULT)


def test_demo_code_refuses_without_debug(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_code", "gemma", stdout=io.StringIO())
