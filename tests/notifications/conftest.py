from __future__ import annotations

import pytest
from django.core import mail

from concerns.roles import Role
from tests.factories import make_user


@pytest.fixture(autouse=True)
def _no_anonymous_delay(settings):
    settings.SPEAKUP_ANONYMOUS_NOTIFY_DELAY = (0, 0)
    settings.SITE_URL = "https://speakup.example"
    # Users are made in every test; the production hasher's cost is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _broker_presumed_up():
    """Each test starts as if no publish had failed recently in this process."""
    from notifications import tasks
    from notifications.services import sending

    tasks._broker_down_until = 0.0
    sending._mail_away["until"] = 0.0  # nor any send found the mail server away


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a write as if its transaction committed: the post-commit receiver runs too."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def second_lead(org):
    return make_user(Role.LEAD_GUARDIAN, org, username="lara")


def mail_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]
