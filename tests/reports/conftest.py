"""A small fixed data set whose every figure is computed by hand in the tests.

Organisation A ("org"), financial year 2024/25 (April 2024 to March 2025):
  group 1: 10 concerns raised 10 May 2024, open route, learners, medical, patient safety,
           department Ward 1; acknowledged after 1 day (in time), feedback after 30 days
           (in time), closed after 40 days, outcome upheld, "would speak up again": yes.
  group 2:  9 concerns raised 3 June 2024, anonymous, other staff, nursing and midwifery,
           bullying + worker safety; acknowledged after 5 days (late), still open, next
           step due in 2099; 2 of them with detriment reported.
  group 3:  3 concerns raised 31 March 2024 23:30 UTC = 1 April 00:30 BST (so April 2024,
           in 2024/25), confidential, supervisors, dental, discrimination; received, overdue.
  before:   2 concerns raised 31 March 2024 22:30 UTC = 23:30 BST (March 2024, 2023/24),
           anonymous, received, overdue.
Organisation B ("other_org"): 5 concerns in May 2024, anonymous, patient safety.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from concerns.models import Concern
from tests.factories import DepartmentFactory, raise_concern
from workflow.models import (
    Case,
    Detriment,
    Outcome,
    SpeakUpAgainResponse,
    Status,
)

UTC = dt.UTC


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@dataclass
class Dataset:
    org: object
    other_org: object
    ward: object
    cases: dict[str, list[Case]]


def _raise(org, n, *, when, route, reporter, **kwargs) -> list[Case]:
    cases = []
    for _ in range(n):
        raised = raise_concern(org, route=route, reporter=reporter, **kwargs)
        Concern.objects.filter(pk=raised.concern.pk).update(raised_at=when)
        cases.append(raised.case)
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(raised_at=when)
    return cases


def _set(cases: list[Case], **fields) -> None:
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(**fields)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2 at production cost took seconds per test user; hashing is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def dataset(org, other_org, reporter, guardian) -> Dataset:
    from reports.services import rollups_rebuild

    ward = DepartmentFactory(organisation=org, name="Ward 1")
    g1_at, g2_at, g3_at, before_at = (
        at(2024, 5, 10, 10),
        at(2024, 6, 3, 9),
        at(2024, 3, 31, 23, 30),
        at(2024, 3, 31, 22, 30),
    )
    g1 = _raise(
        org,
        10,
        when=g1_at,
        route="open",
        reporter=reporter,
        reporter_role="learner",
        professional_group="medical",
        categories=("patient-safety",),
        department=ward,
    )
    _set(
        g1,
        status=Status.CLOSED,
        assigned_guardian=guardian,
        acknowledge_due_at=g1_at + dt.timedelta(days=2),
        acknowledged_at=g1_at + dt.timedelta(days=1, hours=2),
        feedback_due_at=g1_at + dt.timedelta(days=92),
        first_feedback_at=g1_at + dt.timedelta(days=30, hours=3),
        closed_at=g1_at + dt.timedelta(days=40, hours=1),
        due_at=None,
        due_kind="",
    )
    for case in g1:
        Outcome.objects.create(case=case, upheld="upheld", findings="x", recorded_by=guardian)
        SpeakUpAgainResponse.objects.create(case=case, answer="yes")
    g2 = _raise(
        org,
        9,
        when=g2_at,
        route="anonymous",
        reporter=None,
        reporter_role="other_staff",
        professional_group="nursing_midwifery",
        categories=("bullying-harassment", "worker-safety"),
    )
    _set(
        g2,
        status=Status.ACKNOWLEDGED,
        assigned_guardian=guardian,
        acknowledge_due_at=g2_at + dt.timedelta(days=2),
        acknowledged_at=g2_at + dt.timedelta(days=5, hours=1),
        feedback_due_at=at(2099, 1, 1),
        due_at=at(2099, 1, 1),
        due_kind="feedback",
    )
    for case in g2[:2]:
        Detriment.objects.create(case=case, suffered="yes", source="guardian")
    Detriment.objects.create(case=g2[2], suffered="no", source="guardian")
    g3 = _raise(
        org,
        3,
        when=g3_at,
        route="confidential",
        reporter=reporter,
        reporter_role="supervisor",
        professional_group="dental",
        categories=("discrimination",),
    )
    _set(g3, acknowledge_due_at=g3_at + dt.timedelta(days=2), due_at=at(2024, 4, 3))
    before = _raise(org, 2, when=before_at, route="anonymous", reporter=None)
    _set(before, acknowledge_due_at=before_at + dt.timedelta(days=2), due_at=at(2024, 4, 3))
    b = _raise(other_org, 5, when=g1_at, route="anonymous", reporter=None)
    rollups_rebuild()
    return Dataset(org, other_org, ward, {"g1": g1, "g2": g2, "g3": g3, "before": before, "b": b})
