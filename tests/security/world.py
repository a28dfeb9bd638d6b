"""A small, realistic data set for the security suites, built through the real services.

Two organisations; a reporter with an open and a confidential concern; another reporter in the
other organisation; anonymous concerns in both; guardians, a lead, a committee member and an
administrator; attachments and notifications on both sides. Every role the suites walk as has
a signed-in (or receipt-holding) test Client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import connection
from django.test import Client

from concerns.models import Attachment, Concern, Department, Organisation
from concerns.roles import Role
from notifications.models import Notification
from tests.factories import OrganisationFactory, category, make_user, raise_concern
from workflow.models import (
    Case,
    CaseEvent,
    Detriment,
    InternalNote,
    Message,
    Outcome,
    SpeakUpAgainResponse,
)
from workflow.services import handling, transitions
from workflow.services.raising import NewAttachment

PDF = b"%PDF-1.4\n% a tiny test file\n"

# Every row a rejected request must leave as it was.
GUARDED_MODELS = (
    Concern,
    Case,
    Message,
    CaseEvent,
    InternalNote,
    Outcome,
    Detriment,
    Attachment,
    SpeakUpAgainResponse,
)

ROLES = (
    "anonymous",
    "reporter",
    "other_reporter",
    "receipt",
    "guardian",
    "outsider_guardian",
    "lead",
    "committee",
    "admin",
)


def row_counts() -> dict[str, int]:
    """Rows of every guarded model, in one query."""
    tables = [connection.ops.quote_name(m._meta.db_table) for m in GUARDED_MODELS]
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {t})" for t in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return {m.__name__: n for m, n in zip(GUARDED_MODELS, row, strict=True)}


@dataclass
class World:
    org: Organisation
    other_org: Organisation
    department: Department
    users: dict[str, AbstractBaseUser]
    open_case: Case  # rita's, open route, assigned to gina (guardian)
    conf_case: Case  # rita's, confidential, assigned to gary (same org, not gina)
    anon_case: Case  # anonymous, org, unassigned; the "receipt" role holds its code
    other_case: Case  # otto's, other organisation, assigned to oscar
    other_anon_case: Case  # anonymous, other organisation
    anon_code: str
    other_anon_code: str
    attachment: Attachment  # on open_case
    other_attachment: Attachment  # on other_case
    notification: Notification | None  # one of gina's
    other_notification: Notification | None  # one of oscar's
    clients: dict[str, Client] = field(default_factory=dict)

    def cases(self) -> list[Case]:
        return [
            self.open_case,
            self.conf_case,
            self.anon_case,
            self.other_case,
            self.other_anon_case,
        ]


def build_world(
    *, description: str = "The night rota leaves the ward without a registrar.", **markers: Any
) -> World:
    org = OrganisationFactory(code="RX1", name="North Placement Trust")
    other_org = OrganisationFactory(code="RY2", name="South Placement Trust")
    department = Department.objects.create(organisation=org, name="Ward 7")
    users = {
        "reporter": make_user(Role.REPORTER, username="rita"),
        "other_reporter": make_user(Role.REPORTER, username="otto"),
        "guardian": make_user(Role.GUARDIAN, org, username="gina"),
        "second_guardian": make_user(Role.GUARDIAN, org, username="gary"),
        "outsider_guardian": make_user(Role.GUARDIAN, other_org, username="oscar"),
        "lead": make_user(Role.LEAD_GUARDIAN, org, username="lena"),
        "other_lead": make_user(Role.LEAD_GUARDIAN, other_org, username="olga"),
        "committee": make_user(Role.COMMITTEE, org, username="colin"),
        "admin": make_user(Role.ADMIN, username="ada", is_staff=True, is_superuser=True),
    }
    pdf = NewAttachment(filename="rota.pdf", content_type="application/pdf", data=PDF)
    open_case = raise_concern(
        org,
        route="open",
        reporter=users["reporter"],
        description=description,
        reporter_name="Rita Reporter",
        reporter_contact="rita@example.nhs.uk",
        department=department,
        attachments=[pdf],
    ).case
    conf_case = raise_concern(
        org,
        route="confidential",
        reporter=users["reporter"],
        description=description,
        reporter_name="Rita Reporter",
        reporter_contact="rita@example.nhs.uk",
        categories=("bullying-harassment",),
    ).case
    anon = raise_concern(org, route="anonymous", description=description)
    other_case = raise_concern(
        other_org,
        route="open",
        reporter=users["other_reporter"],
        description=description,
        reporter_name="Otto Other",
        reporter_contact="otto@example.nhs.uk",
        attachments=[pdf],
    ).case
    other_anon = raise_concern(other_org, route="anonymous", description=description)

    g, g2, o = users["guardian"], users["second_guardian"], users["outsider_guardian"]
    open_case = handling.case_assign(case=open_case, guardian=g, actor=g)
    open_case = transitions.case_acknowledge(case=open_case, actor=g)
    # Files 1 (on a message, the reporter's to download) and 2 (on a note, staff only).
    handling.case_message_send(
        case=open_case, actor=g, body="Thank you for raising this.", files=[pdf]
    )
    handling.case_note_add(case=open_case, actor=g, body="Spoke to the ward.", files=[pdf])
    conf_case = handling.case_assign(case=conf_case, guardian=g2, actor=users["lead"])
    other_case = handling.case_assign(case=other_case, guardian=o, actor=o)
    handling.case_message_send(case=other_case, actor=o, body="Thank you, Otto.")
    for case in (open_case, conf_case, other_case):
        case.refresh_from_db()

    notification = Notification.objects.filter(recipient=g).first()
    other_notification = Notification.objects.filter(recipient=o).first()
    if notification is None:
        notification = Notification.objects.create(recipient=g, case=open_case, topic="new_case")
    if other_notification is None:
        other_notification = Notification.objects.create(
            recipient=o, case=other_case, topic="new_case"
        )
    return World(
        org=org,
        other_org=other_org,
        department=department,
        users=users,
        open_case=open_case,
        conf_case=conf_case,
        anon_case=anon.case,
        other_case=other_case,
        other_anon_case=other_anon.case,
        anon_code=anon.receipt_code or "",
        other_anon_code=other_anon.receipt_code or "",
        attachment=open_case.concern.attachments.get(),
        other_attachment=other_case.concern.attachments.get(),
        notification=notification,
        other_notification=other_notification,
    )


def client_for(world: World, role: str) -> Client:
    """A test Client acting as ``role``; 500s come back as responses, not exceptions."""
    if role in world.clients:
        return world.clients[role]
    client = Client(raise_request_exception=False)
    if role == "receipt":
        cache.clear()  # the receipt throttle: earlier hostile posts may have used it up
        response = client.post("/receipt/", {"code": world.anon_code})
        assert response.status_code == 302, response.status_code
    elif role != "anonymous":
        client.force_login(world.users[role])
    world.clients[role] = client
    return client


__all__ = ["ROLES", "World", "build_world", "category", "client_for", "row_counts"]
