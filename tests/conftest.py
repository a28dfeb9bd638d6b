import importlib

import pytest
from django.apps import apps

from concerns.roles import Role
from tests.factories import OrganisationFactory, make_user


@pytest.fixture(autouse=True)
def _fast_receipts(settings):
    # Production scrypt cost is for attackers; tests use a lighter one to stay quick.
    from dataclasses import replace

    settings.SPEAKUP_RECEIPTS = replace(settings.SPEAKUP_RECEIPTS, scrypt_n=2**10)


@pytest.fixture(autouse=True)
def _channel_layer_healthy():
    """The channel layer's health is the process's (notifications.live.health): a test that
    breaks the layer must not leave the next one's live updates paused."""
    from notifications import live

    def reset() -> None:
        live.health.down_since = live.health.retry_at = 0.0
        live.health.affected = 0

    reset()
    yield
    reset()


@pytest.fixture(autouse=True)
def _eager_celery_unless_services(request, settings):
    """Tests run tasks in process, except those marked ``services``, which use a real worker
    on the real Redis broker. (Celery reads Django settings live; app.conf writes do not
    stick, so this goes through settings.)"""
    if not request.node.get_closest_marker("services"):
        settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests (browser, sockets, real workers, concurrency) flush every table
    afterwards, and with them the standards, categories and groups that migrations load:
    put them back before each such test, from the migration itself."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from concerns.models import Category

    if not Category.objects.exists():
        importlib.import_module("concerns.migrations.0002_reference_data").load(apps, None)


@pytest.fixture
def org(db):
    return OrganisationFactory(code="RX1", name="North Placement Trust")


@pytest.fixture
def other_org(db):
    return OrganisationFactory(code="RY2", name="South Placement Trust")


@pytest.fixture
def guardian(org):
    return make_user(Role.GUARDIAN, org, username="gina")


@pytest.fixture
def other_guardian(org):
    return make_user(Role.GUARDIAN, org, username="gary")


@pytest.fixture
def lead(org):
    return make_user(Role.LEAD_GUARDIAN, org, username="lena")


@pytest.fixture
def outsider_guardian(other_org):
    return make_user(Role.GUARDIAN, other_org, username="oscar")


@pytest.fixture
def reporter(db):
    return make_user(Role.REPORTER, username="rita")


@pytest.fixture
def other_reporter(db):
    return make_user(Role.REPORTER, username="rob")


@pytest.fixture
def committee(org):
    return make_user(Role.COMMITTEE, org, username="colin")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Production PBKDF2 takes ~1 s per user on this machine; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
