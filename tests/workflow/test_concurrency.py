"""Two guardians acting on one case at once: one wins, the other is told to reload.

Needs PostgreSQL: SQLite serialises whole-database writes, so it cannot show row locking.
Each thread has its own database connection, as two web requests would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from tests.factories import case_in_state, raise_concern
from workflow.errors import CaseChanged, TransitionRefused
from workflow.events import case_log_verify
from workflow.models import Case, CaseEvent, EventKind, Message, Status
from workflow.services import handling, transitions

pytestmark = pytest.mark.django_db(transaction=True)
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="CONCURRENCY NOT TESTED: needs PostgreSQL (set DATABASE_URL); SQLite has no row locks",
)


def _race(*actions: Callable[[], object]) -> list[object]:
    """Run the actions at the same moment in separate threads; their results or errors."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = action()
        except Exception as exc:  # the outcome under test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def assigned(org, guardian, lead):
    case = raise_concern(org).case
    return handling.case_assign(case=case, guardian=guardian, actor=lead)


@needs_postgresql
def test_two_guardians_acknowledge_at_once_one_wins_one_is_told_to_reload(assigned, guardian, lead):
    # Given both have the case open at the same version
    seen_by_guardian = Case.objects.get(pk=assigned.pk)
    seen_by_lead = Case.objects.get(pk=assigned.pk)
    version = seen_by_guardian.version
    # When both acknowledge at the same moment
    results = _race(
        lambda: transitions.case_acknowledge(
            case=seen_by_guardian, actor=guardian, expected_version=version
        ),
        lambda: transitions.case_acknowledge(
            case=seen_by_lead, actor=lead, expected_version=version
        ),
    )
    # Then exactly one succeeded and the other was told the case changed
    winners = [r for r in results if isinstance(r, Case)]
    losers = [r for r in results if isinstance(r, CaseChanged)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    assert "Reload" in str(losers[0])
    # And the case moved once, with one event, and its log is whole
    case = Case.objects.get(pk=assigned.pk)
    assert case.status == Status.ACKNOWLEDGED
    assert case.version == version + 1
    assert CaseEvent.objects.filter(case=case, kind=EventKind.TRANSITION).count() == 1
    assert case_log_verify(case=case) is None


@needs_postgresql
def test_different_actions_on_the_same_version_do_not_overwrite_each_other(
    assigned, guardian, lead, other_guardian
):
    seen = Case.objects.get(pk=assigned.pk)
    version = seen.version
    results = _race(
        lambda: handling.case_assign(
            case=seen, guardian=other_guardian, actor=lead, expected_version=version
        ),
        lambda: transitions.case_acknowledge(case=seen, actor=guardian, expected_version=version),
    )
    assert sum(isinstance(r, Case) for r in results) == 1, results
    assert sum(isinstance(r, CaseChanged) for r in results) == 1, results
    case = Case.objects.get(pk=assigned.pk)
    # whichever won, its change is there and the loser's is not
    if isinstance(results[0], Case):
        assert (case.assigned_guardian_id, case.status) == (other_guardian.pk, Status.RECEIVED)
    else:
        assert (case.assigned_guardian_id, case.status) == (guardian.pk, Status.ACKNOWLEDGED)
    assert case_log_verify(case=case) is None


@needs_postgresql
def test_without_a_version_the_second_sees_the_new_state_and_is_refused(assigned, guardian, lead):
    # A caller that does not say which version it saw still never double-applies a transition.
    results = _race(
        lambda: transitions.case_acknowledge(case=assigned, actor=guardian),
        lambda: transitions.case_acknowledge(case=assigned, actor=lead),
    )
    assert sum(isinstance(r, Case) for r in results) == 1, results
    assert sum(isinstance(r, TransitionRefused) for r in results) == 1, results
    case = Case.objects.get(pk=assigned.pk)
    assert CaseEvent.objects.filter(case=case, kind=EventKind.TRANSITION).count() == 1
    assert case_log_verify(case=case) is None


@needs_postgresql
def test_simultaneous_messages_are_both_kept_and_chained(assigned, guardian, lead):
    results = _race(
        lambda: handling.case_message_send(case=assigned, actor=guardian, body="From Gina"),
        lambda: handling.case_message_send(case=assigned, actor=lead, body="From Lena"),
    )
    assert all(isinstance(r, Message) for r in results), results
    assert sorted(m.body for m in Message.objects.filter(case=assigned)) == [
        "From Gina",
        "From Lena",
    ]
    case = Case.objects.get(pk=assigned.pk)
    assert CaseEvent.objects.filter(case=case, kind=EventKind.MESSAGE_TO_REPORTER).count() == 2
    assert case_log_verify(case=case) is None


@needs_postgresql
def test_simultaneous_concerns_get_distinct_references(org):
    results = _race(*[lambda: raise_concern(org) for _ in range(4)])
    references = [r.concern.reference for r in results if not isinstance(r, Exception)]
    assert len(references) == 4, results
    assert len(set(references)) == 4


def test_a_stale_form_is_refused_and_nothing_is_written(assigned, guardian, lead):
    # Given the guardian loaded the case, then the lead acknowledged it
    seen = Case.objects.get(pk=assigned.pk)
    transitions.case_acknowledge(case=assigned, actor=lead)
    events = CaseEvent.objects.filter(case=assigned).count()
    # When the guardian submits an action from the page they loaded earlier
    with pytest.raises(CaseChanged):
        transitions.case_refer(
            case=seen, actor=guardian, reason="HR", destination="hr", expected_version=seen.version
        )
    with pytest.raises(CaseChanged):
        handling.case_assign(
            case=seen, guardian=guardian, actor=lead, expected_version=seen.version
        )
    # Then nothing was written
    case = Case.objects.get(pk=assigned.pk)
    assert case.status == Status.ACKNOWLEDGED
    assert CaseEvent.objects.filter(case=case).count() == events


@needs_postgresql
def test_a_closed_case_cannot_be_reopened_twice_at_once(org, guardian, lead):
    case = case_in_state(raise_concern(org).case, "closed", guardian=guardian)
    results = _race(
        lambda: transitions.case_reopen(case=case, actor=guardian, reason="A"),
        lambda: transitions.case_reopen(case=case, actor=lead, reason="B"),
    )
    assert sum(isinstance(r, Case) for r in results) == 1, results
    assert Case.objects.get(pk=case.pk).status == Status.REOPENED
    assert case_log_verify(case=case) is None
