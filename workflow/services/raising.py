"""Raising a concern: every rule of it, for the page and the API alike.

A ``NewConcern`` is what a reporter raises, parsed by a form or a serializer; ``concern_raise``
decides whether it may be raised and how. Nothing about raising is decided anywhere else, so
the page and the API cannot drift apart (they did: the API once copied account details in
where the page asked for them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from concerns.models import (
    Attachment,
    Category,
    Concern,
    Department,
    Organisation,
    ProfessionalGroup,
    QualityStandard,
    RaisedElsewhere,
    ReporterRole,
    Route,
)
from concerns.receipts import receipt_generate, receipt_hash
from config import rules
from workflow import fastpaths, timeliness
from workflow.errors import InvalidInput, NotPermitted
from workflow.events import case_event_record
from workflow.models import Case, DueKind, EventKind, Status
from workflow.policies import Actor

SIGN_IN_FIRST = "Sign in to raise a concern openly or confidentially, or choose anonymous"


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class NewConcern:
    """What a reporter raises, as they gave it. Field names are the form's and the API's, so a
    refusal (``InvalidInput.problems``) names the field it is about."""

    organisation: Organisation
    categories: Sequence[Category]
    description: str
    route: str
    reporter_role: str = ReporterRole.LEARNER
    department: Department | None = None
    standards: Sequence[QualityStandard] = ()
    professional_group: str = ProfessionalGroup.NOT_SAID
    raised_elsewhere: str = RaisedElsewhere.NOT_SAID
    outcome_hoped: str = ""
    # Open and confidential only: an anonymous concern keeps none of these, whatever is given.
    reporter_name: str = ""
    reporter_contact: str = ""
    email_updates: bool = False
    attachments: Sequence[NewAttachment] = field(default=())

    def __post_init__(self) -> None:
        # Frozen all the way down: a list handed in cannot change after the checks.
        for name in ("categories", "standards", "attachments"):
            object.__setattr__(self, name, tuple(getattr(self, name)))


@dataclass(frozen=True)
class RaisedConcern:
    concern: Concern
    case: Case
    receipt_code: str | None  # anonymous only; shown once and never stored


@dataclass(frozen=True)
class _Identity:
    """Who raised it, as far as the route lets us keep it."""

    reporter: User | None
    name: str
    contact: str
    email_updates: bool
    receipt_code: str | None
    receipt_hash: str | None


def concern_raise(*, concern: NewConcern, reporter: Actor = None) -> RaisedConcern:
    """Raise ``concern`` for ``reporter`` (whoever is signed in, or nobody).

    Refuses with ``NotPermitted`` when an open or confidential concern has no signed-in
    reporter, and with ``InvalidInput`` naming every field at fault otherwise. The reference
    is taken in its own short transaction first: a raise that then fails leaves a gap in the
    numbers, as a database sequence would.
    """
    problems = _input_problems(concern) | _identity_problems(concern, reporter)
    if problems:
        raise InvalidInput.of(problems)
    identity = _identity(concern, reporter)
    now = timezone.now()
    reference = _next_reference(now.year)
    with transaction.atomic():
        stored = _store(concern, identity, reference=reference, now=now)
        case = _open_case(stored, identity, now=now)
    return RaisedConcern(concern=stored, case=case, receipt_code=identity.receipt_code)


def _input_problems(new: NewConcern) -> dict[str, str]:
    choices = [
        ("route", Route, "way to raise your concern"),
        ("reporter_role", ReporterRole, "role"),
        ("professional_group", ProfessionalGroup, "professional group"),
        ("raised_elsewhere", RaisedElsewhere, "answer about raising it elsewhere"),
    ]
    problems = {
        name: f"Choose a valid {what}."
        for name, kind, what in choices
        if getattr(new, name) not in kind.values
    }
    if not new.description.strip():
        problems["description"] = "Tell us what happened"
    if not new.categories:
        problems["categories"] = "Select at least one thing your concern is about"
    if not new.organisation.is_active:
        problems["organisation"] = "Choose an organisation from the list"
    if new.department is not None and new.department.organisation_id != new.organisation.pk:
        problems["department"] = (
            f"Choose a department of {new.organisation.name}, or leave it blank"
        )
    attachments = _attachment_problem(new.attachments)
    return problems | ({"attachments": attachments} if attachments else {})


def _attachment_problem(attachments: Sequence[NewAttachment]) -> str:
    policy = rules.attachments()
    if len(attachments) > policy.max_files:
        return f"Attach at most {policy.max_files} files."
    for a in attachments:
        if a.content_type not in policy.allowed_types:
            return "Attach a PDF, an image or an Office document."
        if len(a.data) > policy.max_bytes:
            return "Each attachment must be 10 MB or smaller."
    return ""


def _identity_problems(new: NewConcern, reporter: Actor) -> dict[str, str]:
    """Open and confidential concerns need someone signed in, with a name and a contact."""
    if new.route not in {Route.OPEN, Route.CONFIDENTIAL}:
        return {}
    if not (isinstance(reporter, User) and reporter.is_authenticated):
        raise NotPermitted(SIGN_IN_FIRST)
    problems = {}
    if not new.reporter_name.strip():
        problems["reporter_name"] = "Enter your name"
    if not new.reporter_contact.strip():
        problems["reporter_contact"] = "Enter an email address or phone number"
    return problems


def _identity(new: NewConcern, reporter: Actor) -> _Identity:
    if new.route == Route.ANONYMOUS:
        # Nothing that could identify an anonymous reporter is kept, whatever was passed:
        # not even the account of whoever happens to be signed in.
        code = receipt_generate()
        return _Identity(None, "", "", False, code, receipt_hash(code))
    assert isinstance(reporter, User)  # _identity_problems refused anyone else
    return _Identity(
        reporter, new.reporter_name, new.reporter_contact, new.email_updates, None, None
    )


def _next_reference(year: int) -> str:
    """The year's next reference (workflow.fastpaths: one upsert, its ORM twin beside it)."""
    return f"SU-{year}-{fastpaths.reference_next(year=year):05d}"


def _store(new: NewConcern, who: _Identity, *, reference: str, now: dt.datetime) -> Concern:
    concern = Concern.objects.create(
        reference=reference,
        organisation=new.organisation,
        department=new.department,
        route=new.route,
        reporter_role=new.reporter_role,
        professional_group=new.professional_group,
        raised_elsewhere=new.raised_elsewhere,
        description=new.description,
        outcome_hoped=new.outcome_hoped,
        reporter=who.reporter,
        reporter_name=who.name,
        reporter_contact=who.contact,
        email_updates=who.email_updates,
        receipt_hash=who.receipt_hash,
        raised_at=now,
    )
    _link(concern, new.categories, new.standards)
    Attachment.objects.bulk_create(
        Attachment(
            concern=concern,
            filename=a.filename,
            content_type=a.content_type,
            size=len(a.data),
            data=a.data,
        )
        for a in new.attachments
    )
    return concern


def _link(
    concern: Concern, categories: Sequence[Category], standards: Sequence[QualityStandard]
) -> None:
    """Its categories, and the standards they imply with any chosen (workflow.fastpaths)."""
    fastpaths.concern_links_insert(
        concern_id=concern.pk,
        category_ids=sorted({c.pk for c in categories}),
        standard_ids=sorted({s.pk for s in standards}),
    )


def _open_case(concern: Concern, who: _Identity, *, now: dt.datetime) -> Case:
    ack_due = timeliness.acknowledge_due(now)
    case: Case = Case.objects.create(
        concern=concern,
        reference=concern.reference,
        organisation=concern.organisation,
        route=concern.route,
        raised_at=now,
        last_activity_at=now,
        acknowledge_due_at=ack_due,
        due_kind=DueKind.ACKNOWLEDGE,
        due_at=ack_due,
    )
    case_event_record(
        case=case,
        kind=EventKind.RAISED,
        actor=who.reporter,
        actor_role="reporter",
        to_state=Status.RECEIVED,
        first=True,
    )
    return case
