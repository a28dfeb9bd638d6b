"""Pages of our own around allauth's: the MFA enrolment that staff are kept at."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.middleware import has_mfa
from accounts.policies import mfa_required


@login_required
def mfa_enrol(request: HttpRequest) -> HttpResponse:
    if has_mfa(request.user):
        return redirect("mfa_index")
    return render(request, "account/mfa_enrol.html", {"required": mfa_required(request.user)})


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """Your account: password, two-factor methods, signing out everywhere."""
    return render(
        request,
        "account/security.html",
        {"has_mfa": has_mfa(request.user), "required": mfa_required(request.user)},
    )
