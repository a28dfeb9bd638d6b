"""The API's fast paths: the account token's user, and the guardian queue's rows without
model instances. Each beside the ordinary way to the same answer, held to it by
tests/api/test_fastpaths.py on SQLite and PostgreSQL.

Every API call of a signed-in client reads its token's user: building the ORM's query for
``token_user_orm`` cost more than twice the hand-written one (in process on PostgreSQL,
2026-12-02: about 0.9-1.2 ms against 0.3 ms a call), a fifth of a queue page's CPU.

A queue page is read on every load of a guardian's client. Building 50 ``Case`` instances
(with their organisation, guardian and concern) and serializing them field by field was
most of the page's CPU, so the page is read as plain tuples (workflow.selectors
``case_queue_values``) and shaped as ``CaseRowOut`` reads a case. ``queue_rows_orm`` is the
ordinary way to the same rows; the test holds the two to the same output
over a role x filter matrix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone

from concerns.fastpaths import column
from concerns.selectors import category_slugs_for_concerns
from workflow import selectors
from workflow.models import Case

TokenUser = tuple[AbstractBaseUser, dt.datetime | None]


def _token_user_sql() -> str:
    from knox.models import AuthToken

    users = get_user_model()
    q = connection.ops.quote_name
    columns = ", ".join(f"u.{q(f.column)}" for f in users._meta.concrete_fields)
    return (
        f"SELECT {columns}, t.{column(AuthToken, 'expiry')} AS token_expiry "  # noqa: S608
        f"FROM {q(AuthToken._meta.db_table)} t JOIN {q(users._meta.db_table)} u "
        f"ON t.{column(AuthToken, 'user')} = u.{column(users, users._meta.pk.name)} "
        f"WHERE t.{column(AuthToken, 'digest')} = %s"
    )


def token_user(*, digest: str) -> TokenUser | None:
    """The user of the account token with this digest, and when the token ends; None for
    no such token. The user is built by the ORM (``raw``), from the one statement."""
    found = list(get_user_model().objects.raw(_token_user_sql(), [digest]))
    if not found:
        return None
    user = found[0]
    expiry = vars(user).pop("token_expiry")  # (raw() set it on the user: taken back off)
    if isinstance(expiry, str):  # SQLite: no converter for a column the model lacks
        expiry = dt.datetime.fromisoformat(expiry)
    if expiry is not None and timezone.is_naive(expiry):
        expiry = timezone.make_aware(expiry, dt.UTC)
    return user, expiry


def token_user_orm(*, digest: str) -> TokenUser | None:
    """What ``token_user`` answers, as the ORM reads it."""
    from knox.models import AuthToken

    token = AuthToken.objects.select_related("user").filter(digest=digest).first()
    return None if token is None else (token.user, token.expiry)


# What a queue row shows, and nothing else: no encrypted text is fetched or decrypted.
QUEUE_FIELDS = (
    *("reference", "status", "route", "raised_at", "due_kind", "due_at", "last_activity_at"),
    *("version", "concern_id", "organisation__code", "assigned_guardian__username"),
)


class _Code(NamedTuple):
    code: str


class _Username(NamedTuple):
    username: str


@dataclass(slots=True)
class QueueRow:
    """One queue row, shaped as CaseRowOut reads a Case."""

    reference: str
    status: str
    route: str
    raised_at: dt.datetime
    due_kind: str
    due_at: dt.datetime | None
    last_activity_at: dt.datetime
    version: int
    concern_id: int
    organisation: _Code
    assigned_guardian: _Username | None
    category_slugs: list[str] = field(default_factory=list)

    @property
    def is_overdue(self) -> bool:
        return self.due_at is not None and self.due_at < timezone.now()


def queue_values(
    *, user: AbstractBaseUser, filters: selectors.QueueFilters, offset: int, limit: int
) -> list[tuple[Any, ...]]:
    """``QUEUE_FIELDS`` of the rows of one queue page, as tuples."""
    return selectors.case_queue_values(
        user=user, filters=filters, fields=QUEUE_FIELDS, offset=offset, limit=limit
    )


def queue_rows(values: list[tuple[Any, ...]]) -> list[QueueRow]:
    """Rows of ``queue_values``, each with its concern's category slugs (one read for all)."""
    rows = [_row(*values_of_one) for values_of_one in values]
    slugs = category_slugs_for_concerns(concern_ids=[r.concern_id for r in rows])
    for row in rows:
        row.category_slugs = slugs[row.concern_id]
    return rows


def _row(
    reference: str,
    status: str,
    route: str,
    raised_at: dt.datetime,
    due_kind: str,
    due_at: dt.datetime | None,
    last_activity_at: dt.datetime,
    version: int,
    concern_id: int,
    organisation_code: str,
    guardian_username: str | None,
) -> QueueRow:
    """A QueueRow from one tuple of ``QUEUE_FIELDS``, in that order."""
    return QueueRow(
        reference=reference,
        status=status,
        route=route,
        raised_at=raised_at,
        due_kind=due_kind,
        due_at=due_at,
        last_activity_at=last_activity_at,
        version=version,
        concern_id=concern_id,
        organisation=_Code(organisation_code),
        assigned_guardian=_Username(guardian_username) if guardian_username is not None else None,
    )


def queue_rows_orm(
    *, user: AbstractBaseUser, filters: selectors.QueueFilters, offset: int, limit: int
) -> list[Case]:
    """What ``queue_rows(queue_values(...))`` stands for: the same page as cases."""
    cases = list(selectors.case_list_for_user(user=user, filters=filters)[offset : offset + limit])
    for case in cases:
        # (Not a field of Case: CaseRowOut reads it, as it reads QueueRow's.)
        case.category_slugs = [c.slug for c in case.concern.categories.all()]
    return cases
