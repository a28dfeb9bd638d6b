"""Who may see the committee's figures and download the data return."""

from __future__ import annotations

from typing import TypeGuard

from django.contrib.auth.models import AbstractBaseUser

from concerns.roles import is_committee, is_lead_guardian
from workflow.policies import Actor as Actor  # re-exported: the selectors' actor type


def _is_user(actor: Actor) -> TypeGuard[AbstractBaseUser]:
    return isinstance(actor, AbstractBaseUser) and actor.is_authenticated


def may_view_reports(user: Actor) -> bool:
    """The committee and lead guardians (reports never name a reporter)."""
    return _is_user(user) and (is_committee(user) or is_lead_guardian(user))


def may_download_data_return(user: Actor) -> bool:
    return _is_user(user) and is_lead_guardian(user)
