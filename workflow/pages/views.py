"""Pages that belong to no one case: where each person lands after signing in, and the
accessibility statement and privacy notice linked from every page's footer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from concerns.roles import Role, has_role, is_committee, is_guardian, is_lead_guardian
from config import rules


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    """LOGIN_REDIRECT_URL: each role's own workspace (a sign-in with ?next= goes there
    instead, so a reporter who signed in part-way through raising a concern goes back)."""
    user = request.user
    if not user.is_authenticated:
        return redirect("home")
    if is_lead_guardian(user):
        return redirect("cases:workload")
    if is_guardian(user):
        return redirect("cases:queue")
    if is_committee(user):
        return redirect("reports:dashboard")
    if has_role(user, Role.ADMIN) or user.is_staff:
        return redirect("admin:index")
    return redirect("my_concerns")


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/accessibility.html")


@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "pages/privacy.html",
        {"retention": rules.retention(), "receipts": rules.receipts()},
    )
