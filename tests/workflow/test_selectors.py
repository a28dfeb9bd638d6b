"""The queue's kept statements (selectors.case_queue_values) against the ORM's own query."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection

from concerns.models import Membership
from concerns.roles import Role
from tests.factories import case_in_state, make_user, raise_concern
from workflow import selectors
from workflow.selectors import QueueFilters, case_list_for_user, case_queue_values
from workflow.services import handling

FIELDS = ("reference", "status", "raised_at", "due_at", "assigned_guardian__username")


def _references(values: list[tuple]) -> list[str]:
    return [row[0] for row in values]


@pytest.fixture
def world(org, other_org, guardian, lead, outsider_guardian):
    """Cases in two organisations, in several states, routes and categories."""
    for i, route in zip(range(6), itertools.cycle(["anonymous", "open", "confidential"])):
        reporter = None if route == "anonymous" else make_user(Role.REPORTER, username=f"r{i}")
        case = raise_concern(
            org,
            route=route,
            reporter=reporter,
            categories=("bullying-harassment",) if i % 2 else ("patient-safety",),
        ).case
        if i % 3 == 0:
            case_in_state(case, "acknowledged", guardian=guardian, lead=lead)
    raise_concern(other_org)
    # A concern the guardian raised themselves: theirs as a reporter, never in their queue.
    raise_concern(org, route="open", reporter=guardian)


FILTERS = [
    QueueFilters(),
    QueueFilters(status="acknowledged"),
    QueueFilters(status="received", sort="oldest"),
    QueueFilters(category="bullying-harassment"),
    QueueFilters(route="open", sort="due"),
    QueueFilters(assigned="me"),
    QueueFilters(assigned="none", sort="activity"),
    QueueFilters(organisation="RY2"),
    QueueFilters(due="soon"),
    QueueFilters(sort="status"),
]


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
@pytest.mark.parametrize("who", ["guardian", "lead", "outsider_guardian", "reporter"])
def test_a_kept_page_is_the_page_the_orm_gives(request, world, filters, who):
    # Given a user and a filter
    user = request.getfixturevalue(who)
    expected = list(case_list_for_user(user=user, filters=filters).values_list(*FIELDS))

    # When their queue is read twice (built, then from the kept statement), a page at a time
    first = case_queue_values(user=user, filters=filters, fields=FIELDS, offset=0, limit=3)
    again = case_queue_values(user=user, filters=filters, fields=FIELDS, offset=0, limit=3)
    rest = case_queue_values(user=user, filters=filters, fields=FIELDS, offset=3, limit=50)

    # Then both are the ORM's rows, values converted alike (datetimes, not text)
    assert first == again == expected[:3]
    assert rest == expected[3:]


def test_a_kept_statement_reads_what_is_there_now(org, guardian, lead):
    # Given a queue that has been read
    first = raise_concern(org).case
    page = case_queue_values(user=lead, filters=QueueFilters(), fields=FIELDS, offset=0, limit=50)
    assert _references(page) == [first.reference]

    # When a concern is raised and the first is assigned
    second = raise_concern(org).case
    handling.case_assign(case=first, guardian=guardian, actor=lead)

    # Then the same read shows both, as they are now
    page = case_queue_values(user=lead, filters=QueueFilters(), fields=FIELDS, offset=0, limit=50)
    assert _references(page) == [second.reference, first.reference]
    assert page[1][4] == guardian.username


def test_leaving_an_organisation_empties_the_queue_at_once(org, lead):
    # Given a lead who has read their queue
    raise_concern(org)
    filters = QueueFilters()
    assert case_queue_values(user=lead, filters=filters, fields=FIELDS, offset=0, limit=50)

    # When they leave the organisation (a fresh request loads their organisations again)
    Membership.objects.filter(user=lead).delete()
    lead = type(lead).objects.get(pk=lead.pk)

    # Then they see nothing: the scope is part of what a kept statement is kept for
    assert case_queue_values(user=lead, filters=filters, fields=FIELDS, offset=0, limit=50) == []
    assert selectors.policies.staff_scope(lead).organisation_ids == frozenset()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)
def test_the_queue_page_is_planned_once_per_connection_on_postgresql(org, lead):
    # Given a lead's queue, read as often as psycopg waits before preparing a statement
    raise_concern(org)
    for _ in range(6):
        case_queue_values(user=lead, filters=QueueFilters(), fields=FIELDS, offset=0, limit=51)

    # Then PostgreSQL holds the page's statement prepared, and runs it without planning anew
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "workflow_case"' in s and "LIMIT 51" in s for s in prepared)
