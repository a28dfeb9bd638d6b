"""Template filters for what staff see of when a concern arrived (workflow.staff_view)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter

from workflow.staff_view import ANONYMOUS, moment_for_staff

register = template.Library()


@register.filter
def arrival_for_staff(case: Any, fmt: str = "j M Y, H:i") -> str:
    """A case's arrival: its date only for an anonymous concern."""
    if case.route == ANONYMOUS:
        return date_filter(case.raised_at, "j M Y")
    return date_filter(case.raised_at, fmt)


@register.simple_tag
def moment_for_staff_tag(case: Any, value: Any, fmt: str = "j M Y, H:i") -> str:
    """Any other moment on a case page: the date only when it is an anonymous arrival."""
    shown = moment_for_staff(route=case.route, raised_at=case.raised_at, value=value)
    if shown is not value:
        return date_filter(value, "j M Y")
    return date_filter(value, fmt)
