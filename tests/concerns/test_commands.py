"""Management commands: addorganisation, adduser, demo, verify_case_log."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from concerns.models import Concern, Department, Organisation
from concerns.roles import roles_of
from tests.factories import case_in_state, raise_concern
from workflow.models import Case, CaseEvent, Status


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


# --- addorganisation ------------------------------------------------------------------------


def test_addorganisation_creates_and_then_renames(db):
    assert "Created" in run("addorganisation", "rx5", "East Trust", "--department", "Ward 1")
    assert "Updated" in run("addorganisation", "RX5", "East NHS Trust", "--kind", "community")
    organisation = Organisation.objects.get(code="RX5")
    assert (organisation.name, organisation.kind) == ("East NHS Trust", "community")
    assert list(Department.objects.values_list("name", flat=True)) == ["Ward 1"]


@pytest.mark.parametrize(("code", "name"), [("R X!", "Bad code"), ("RX6", "  ")])
def test_addorganisation_refuses_bad_input(db, code, name):
    with pytest.raises(CommandError):
        run("addorganisation", code, name)
    assert not Organisation.objects.exists()


# --- adduser ---------------------------------------------------------------------------------


@pytest.fixture
def orgs(db):
    run("addorganisation", "RX1", "North Trust")
    run("addorganisation", "RY2", "South Trust")


def test_adduser_with_the_password_from_the_environment(orgs, monkeypatch):
    monkeypatch.setenv("SPEAKUP_PASSWORD", "a good long passphrase")
    output = run(
        "adduser", "gwen", "--role", "guardian", "--organisation", "RX1", "--organisation", "ry2"
    )
    assert "gwen as guardian for RX1, RY2" in output
    user = authenticate(username="gwen", password="a good long passphrase")
    assert user is not None
    assert roles_of(user) == {"guardian"}
    assert set(user.memberships.values_list("organisation__code", flat=True)) == {"RX1", "RY2"}


def test_adduser_asks_for_the_password_when_not_given(orgs, monkeypatch):
    monkeypatch.delenv("SPEAKUP_PASSWORD", raising=False)
    answers = iter(["typed pass phrase", "typed pass phrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    run("adduser", "ada", "--role", "admin")
    assert authenticate(username="ada", password="typed pass phrase").is_superuser


def test_adduser_refuses_mismatched_typed_passwords(orgs, monkeypatch):
    monkeypatch.delenv("SPEAKUP_PASSWORD", raising=False)
    answers = iter(["typed pass phrase", "something else"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="did not match"):
        run("adduser", "ada", "--role", "admin")
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "overlord"], "Unknown role 'overlord'"),
        (["--role", "guardian", "--organisation", "NOPE"], "Unknown organisation code"),
        (["--role", "guardian"], "needs at least one --organisation"),
    ],
)
def test_adduser_errors_are_clear(orgs, monkeypatch, args, message):
    monkeypatch.setenv("SPEAKUP_PASSWORD", "a good long passphrase")
    with pytest.raises(CommandError, match=message):
        run("adduser", "gwen", *args)
    assert not get_user_model().objects.exists()


def test_adduser_refuses_a_weak_password(orgs, monkeypatch):
    monkeypatch.setenv("SPEAKUP_PASSWORD", "short")
    with pytest.raises(CommandError, match="too short"):
        run("adduser", "rob", "--role", "reporter")


# --- demo -----------------------------------------------------------------------------------


def test_demo_refuses_when_debug_is_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        run("demo")
    assert not Concern.objects.exists()
    assert not get_user_model().objects.exists()


def test_demo_with_force_loads_every_role_and_state(db, settings, monkeypatch):
    # Given DEBUG off, the demo is loaded with --force
    settings.DEBUG = False
    monkeypatch.setenv("SPEAKUP_DEMO_PASSWORD", "demo pass phrase")
    output = run("demo", "--force", "--concerns", "40")
    # Then every named sign-in works, with its role, and is printed
    for username, role in [
        ("gemma", "guardian"),
        ("leo", "lead_guardian"),
        ("cara", "committee"),
        ("rob", "reporter"),
        ("ada", "admin"),
    ]:
        user = authenticate(username=username, password="demo pass phrase")
        assert user is not None, username
        assert role in roles_of(user)
        assert username in output
    assert get_user_model().objects.filter(groups__name="guardian").count() >= 3
    assert Organisation.objects.count() >= 3
    assert Organisation.objects.filter(kind="gp_practice").exists()
    # And concerns in every state, by every route, spread over the past
    cases = list(Case.objects.all())
    assert len(cases) == Concern.objects.count() == 40
    assert {c.status for c in cases} == set(Status.values)
    assert {c.route for c in cases} == {"open", "confidential", "anonymous"}
    assert (max(c.raised_at for c in cases) - min(c.raised_at for c in cases)).days > 180
    for case in cases:
        assert case.reference.startswith(f"SU-{timezone.localtime(case.raised_at).year}-")
        times = list(CaseEvent.objects.filter(case=case).values_list("created_at", flat=True))
        assert times == sorted(times)
        assert times[0] == case.raised_at
    # And every re-timed event chain still verifies
    assert "All 40 case log(s) verify" in run("verify_case_log")
    # And --if-empty leaves a populated database alone
    assert "already exist" in run("demo", "--force", "--if-empty")
    assert Concern.objects.count() == 40


# --- verify_case_log --------------------------------------------------------------------------


def test_verify_case_log_fails_on_a_broken_one(org, guardian):
    intact = raise_concern(org).case
    broken = case_in_state(raise_concern(org).case, "acknowledged", guardian=guardian)
    assert "All 2 case log(s) verify" in run("verify_case_log")
    CaseEvent.objects.filter(case=broken, seq=1).update(kind="note")
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("verify_case_log", stdout=out)
    assert exc.value.returncode == 1
    assert f"BROKEN {broken.reference} at event 1" in out.getvalue()
    assert intact.reference not in out.getvalue()
