"""api.fastpaths: the queue's rows as tuples, shaped and serialized by the fast path, against
the ordinary way (the ORM's cases through DRF's field-by-field serializer). SQLite and
PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from rest_framework import serializers

from api import fastpaths
from api.serializers.cases import CaseRowOut
from concerns.roles import Role
from tests.factories import case_in_state, make_user, raise_concern
from workflow.models import Case
from workflow.selectors import QueueFilters


@pytest.fixture
def world(org, other_org, guardian, lead, outsider_guardian):
    """Cases of both organisations: every route, assigned and not, several categories, one
    overdue, one raised in summer time."""
    routes = itertools.cycle(["anonymous", "open", "confidential"])
    for i, route in enumerate(itertools.islice(routes, 6)):
        reporter = None if route == "anonymous" else make_user(Role.REPORTER, username=f"r{i}")
        categories = ("other", "worker-safety", "patient-safety") if i % 2 else ("other",)
        case = raise_concern(org, route=route, reporter=reporter, categories=categories).case
        if i % 3 == 0:
            case_in_state(case, "acknowledged", guardian=guardian, lead=lead)
        if i == 1:
            Case.objects.filter(pk=case.pk).update(
                raised_at=dt.datetime(2026, 7, 1, 9, tzinfo=dt.UTC),
                due_at=dt.datetime(2026, 7, 8, 9, tzinfo=dt.UTC),
            )
    raise_concern(other_org)


FILTERS = [
    QueueFilters(),
    QueueFilters(status="acknowledged", sort="oldest"),
    QueueFilters(category="worker-safety", sort="due"),
    QueueFilters(route="anonymous", assigned="none"),
    QueueFilters(assigned="me", sort="activity"),
    QueueFilters(due="overdue"),
    QueueFilters(sort="status"),
]


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
@pytest.mark.parametrize("who", ["guardian", "lead", "outsider_guardian", "reporter"])
@pytest.mark.parametrize(("offset", "limit"), [(0, 51), (2, 3)])
def test_the_queue_fast_path_gives_what_drf_gives_for_the_orms_cases(
    request, world, filters, who, offset, limit
):
    # Given a user, a filter and a page
    user = request.getfixturevalue(who)
    window = {"user": user, "filters": filters, "offset": offset, "limit": limit}

    # When the page is read and shown by the fast path, and by the ORM and DRF's own path
    fast = CaseRowOut(fastpaths.queue_rows(fastpaths.queue_values(**window)), many=True).data
    general = [
        serializers.Serializer.to_representation(CaseRowOut(), case)
        for case in fastpaths.queue_rows_orm(**window)
    ]

    # Then the two are the same rows, field for field
    assert [dict(row) for row in fast] == [dict(row) for row in general]
    if who == "lead" and filters == QueueFilters() and offset == 0:
        assert len(fast) == 6 and {r["assigned_guardian"] for r in fast} == {"gina", None}
    if who == "reporter":
        assert fast == []


# --- the account token's user --------------------------------------------------------------


def _fields(user) -> dict:
    return {f.attname: getattr(user, f.attname) for f in type(user)._meta.concrete_fields}


@pytest.mark.django_db
@pytest.mark.parametrize("expiry", ["live", "expired", "never", "unknown"])
@pytest.mark.parametrize("active", [True, False])
def test_the_token_user_is_the_orms(expiry, active):
    from knox.crypto import hash_token
    from knox.models import AuthToken

    from accounts.services import token_issue

    # Given a token of a user (and another user's token beside it)
    user = make_user(Role.GUARDIAN, mfa=False, is_active=active, last_name="O'Brien")
    token_issue(user=make_user(Role.REPORTER))
    digest = hash_token(token_issue(user=user)[1]) if expiry != "unknown" else "0" * 128
    now = dt.datetime.now(dt.UTC)
    if expiry == "expired":
        AuthToken.objects.filter(digest=digest).update(expiry=now - dt.timedelta(seconds=1))
    elif expiry == "never":
        AuthToken.objects.filter(digest=digest).update(expiry=None)

    # When both ways read the token's user
    fast = fastpaths.token_user(digest=digest)
    orm = fastpaths.token_user_orm(digest=digest)

    # Then they agree: the same account, every field converted alike, the same expiry
    if expiry == "unknown":
        assert fast is None and orm is None
        return
    assert fast is not None and orm is not None
    assert _fields(fast[0]) == _fields(orm[0]) and fast[0].pk == user.pk
    assert fast[1] == orm[1]
    assert fast[1] is None or fast[1].utcoffset() == dt.timedelta(0)
    assert "token_expiry" not in vars(fast[0])
