"""The API's fast path: the guardian queue's rows without model instances.

A queue page is read on every load of a guardian's client. Building 50 ``Case`` instances
(with their organisation, guardian and concern) and serializing them field by field was
most of the page's CPU, so the page is read as plain tuples (workflow.selectors
``case_queue_values``) and shaped as ``CaseRowOut`` reads a case. ``queue_rows_orm`` is the
ordinary way to the same rows; tests/api/test_fastpaths.py holds the two to the same output
(on SQLite and PostgreSQL, over a role x filter matrix).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from concerns.selectors import category_slugs_for_concerns
from workflow import selectors
from workflow.models import Case

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
