"""The fixture world the every-page sweep visits: one trust with a department, a person in
each role, a case in every state (an open one with an attachment and a reply, a confidential
one, an anonymous one whose receipt code a holder uses), an invitation link, and a session
cookie for each role. Everything goes through the real services."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.test import Client

from concerns.roles import Role
from tests.factories import (
    DepartmentFactory,
    OrganisationFactory,
    case_in_state,
    make_user,
    raise_concern,
)
from workflow.models import ReferralDestination
from workflow.services import reporter as reporter_actions
from workflow.services import transitions
from workflow.services.raising import NewAttachment

# A one-pixel PNG: the smallest file the attachment rules accept.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _people(org: Any) -> dict[str, Any]:
    return {
        "reporter": make_user(Role.REPORTER, username="rhiannon", first_name="Rhiannon"),
        "guardian": make_user(Role.GUARDIAN, org, username="gwendolyn", first_name="Gwendolyn"),
        "lead": make_user(Role.LEAD_GUARDIAN, org, username="leonora", first_name="Leonora"),
        "committee": make_user(Role.COMMITTEE, org, username="cornelius"),
        # a long first name: "Welcome, Bartholomew." wraps the admin's user links at 320 px
        # (a random short one hid that the wrapped lines overlapped their 24 px targets)
        "admin": make_user(
            Role.ADMIN,
            username="adelaide",
            first_name="Bartholomew",
            is_staff=True,
            is_superuser=True,
        ),
    }


def _reporters_cases(org: Any, people: dict[str, Any]) -> dict[str, Any]:
    reporter, guardian = people["reporter"], people["guardian"]
    photo = NewAttachment(filename="rota.png", content_type="image/png", data=PNG)
    mine = raise_concern(org, route="open", reporter=reporter, attachments=[photo]).case
    mine = case_in_state(mine, "feedback_given", guardian=guardian)
    reporter_actions.concern_message_reply(case=mine, actor=reporter, body="Thank you.")
    closed = raise_concern(org, route="confidential", reporter=reporter).case
    withdrawn = raise_concern(org, route="open", reporter=reporter).case
    withdrawn = transitions.case_withdraw(case=withdrawn, actor=reporter, reason="Sorted.")
    return {
        "mine": mine,
        "mine_closed": case_in_state(closed, "closed", guardian=guardian),
        "withdrawn": withdrawn,
    }


def _guardians_cases(org: Any, people: dict[str, Any]) -> tuple[dict[str, Any], str]:
    guardian = people["guardian"]
    anonymous = raise_concern(org)
    cases = {
        "received": raise_concern(org).case,
        "acknowledged": case_in_state(raise_concern(org).case, "acknowledged", guardian=guardian),
        "investigating": case_in_state(
            raise_concern(org, route="confidential", reporter=people["reporter"]).case,
            "investigating",
            guardian=guardian,
        ),
        "feedback_given": case_in_state(
            raise_concern(org).case, "feedback_given", guardian=guardian
        ),
        "closed": case_in_state(raise_concern(org).case, "closed", guardian=guardian),
        "anonymous": case_in_state(anonymous.case, "investigating", guardian=guardian),
    }
    referred = case_in_state(raise_concern(org).case, "acknowledged", guardian=guardian)
    cases["referred"] = transitions.case_refer(
        case=referred,
        actor=guardian,
        destination=ReferralDestination.HR,
        reason="An employment matter.",
    )
    reopened = case_in_state(raise_concern(org).case, "closed", guardian=guardian)
    cases["reopened"] = transitions.case_reopen(case=reopened, actor=guardian, reason="New facts.")
    assert anonymous.receipt_code
    return cases, anonymous.receipt_code


def _session(user: Any) -> str:
    """A signed-in session that has just given its password (as allauth records one), so
    that pages asking for a recent sign-in (turning off MFA, new recovery codes, adding a
    passkey) show themselves rather than the reauthentication page."""
    client = Client()
    client.force_login(user)
    session = client.session
    session["account_authentication_methods_user"] = str(user.pk)
    session["account_authentication_methods"] = [
        {
            "method": "password",
            "at": time.time(),
            "username": user.username,
            "reauthenticated": True,
        }
    ]
    session.save()
    return client.cookies["sessionid"].value


def _holder_session(code: str) -> str:
    client = Client()
    response = client.post("/receipt/", {"code": code})
    assert response.status_code == 302, response.status_code
    return client.cookies["sessionid"].value


def build_world() -> dict[str, Any]:
    from reports.services import rollups_rebuild
    from setup.services import invitation_link

    org = OrganisationFactory(code="SW01", name="Sweep Placement NHS Foundation Trust")
    org.guardian_contact = "Email ftsu@sweep.example.nhs.uk or call 0113 496 0000."
    org.save()
    department = DepartmentFactory(organisation=org, name="Ward 7 (Respiratory)")
    people = _people(org)
    RecoveryCodes.activate(people["guardian"])
    cases, code = _guardians_cases(org, people)
    cases.update(_reporters_cases(org, people))
    rollups_rebuild()  # the committee's figures
    invited = make_user(Role.GUARDIAN, org, username="ivy", mfa=False)
    _, uid, token = invitation_link(user=invited).rstrip("/").rsplit("/", 2)
    sessions = {who: _session(person) for who, person in people.items()}
    sessions["holder"] = _holder_session(code)
    return {
        "org": org,
        "department": department,
        "people": people,
        "cases": cases,
        "invitation": {"uidb64": uid, "token": token},
        "sessions": sessions,
    }
