"""Every state of a case has plain words for its reporter (workflow.standing)."""

from __future__ import annotations

import pytest

from concerns.roles import Role
from tests.factories import OrganisationFactory, case_in_state, make_user, raise_concern
from workflow.models import Status
from workflow.standing import _SAYS, concern_standing


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["acknowledged", "investigating", "feedback_given", "closed"])
def test_every_state_says_where_the_concern_stands(status):
    # Given a concern in this state
    org = OrganisationFactory()
    guardian = make_user(Role.GUARDIAN, org)
    case = case_in_state(raise_concern(org).case, status, guardian=guardian)
    # When its reporter's page asks where it stands
    standing = concern_standing(case=case, conversation=[])
    # Then it has a heading and words, none of them blank
    assert standing.heading and standing.says
    assert all(line.strip() for line in standing.says if line)


@pytest.mark.django_db
def test_a_new_concern_says_who_will_acknowledge_it_and_by_when():
    case = raise_concern(OrganisationFactory()).case
    standing = concern_standing(case=case, conversation=[])
    assert standing.heading == "Waiting to be acknowledged"
    assert "A guardian will pick it up." in standing.says[0]
    assert standing.says[1].startswith("They will acknowledge it by ")


def test_no_state_is_without_words():
    # A state added to the workflow without words for the reporter fails here, not on the
    # reporter's page.
    assert set(_SAYS) == set(Status.values)
