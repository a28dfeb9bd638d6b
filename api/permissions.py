"""Endpoint-level gates. Object-level rules are never here: they live in workflow.policies
and are applied by the selectors and services the views call."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from concerns.roles import is_guardian
from workflow.errors import CaseNotFound
from workflow.policies import ReceiptHolder, staff_load


def _signed_in(request: Request) -> bool:
    return isinstance(request.user, AbstractBaseUser) and request.user.is_authenticated


class IsReporter(BasePermission):
    """A signed-in person (about their own concerns) or a receipt holder (about theirs)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, ReceiptHolder) or _signed_in(request)


class IsReceiptHolder(BasePermission):
    """A receipt session's own routes. Anyone else signed in finds nothing there (404);
    only the anonymous are told to authenticate (401)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.user, ReceiptHolder):
            return True
        if _signed_in(request):
            raise CaseNotFound("Concern not found.")
        return False


class IsGuardian(BasePermission):
    """Guardians and lead guardians; which cases each may see is up to the selectors."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not _signed_in(request):
            return False
        staff_load(request.user)
        return is_guardian(request.user)


class IsGuardianOfTheCase(IsGuardian):
    """A case's own endpoints. To anyone else who has signed in (or holds a receipt), the
    case does not exist: 404, as for a guardian of another organisation, whatever the
    reference. Only the anonymous are told to authenticate (401)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if super().has_permission(request, view):
            return True
        if _signed_in(request) or isinstance(request.user, ReceiptHolder):
            raise CaseNotFound("Case not found.")
        return False
