"""Staff's in-app notifications: a list with the unread count, and marking them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from concerns.roles import is_guardian
from notifications import content, selectors, services


def _staff_only(request: HttpRequest) -> None:
    if not is_guardian(request.user):
        raise PermissionDenied("Notifications are for guardians.")


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    page = Paginator(selectors.notification_list_for_user(user=request.user), 25).get_page(
        request.GET.get("page")
    )
    items = [
        {
            "notification": n,
            "headline": content.staff_headline(n.topic, n.case.reference)
            if n.case
            else n.get_topic_display(),
            "link": content.case_path(n.case.reference) if n.case else "/cases/",
        }
        for n in page.object_list
    ]
    context = {
        "page": page,
        "items": items,
        "unread": selectors.notification_unread_count(user=request.user),
    }
    return render(request, "notifications/list.html", context)


@login_required
@require_GET
def notification_unread(request: HttpRequest) -> JsonResponse:
    _staff_only(request)
    return JsonResponse({"unread": selectors.notification_unread_count(user=request.user)})


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    _staff_only(request)
    if not services.notification_mark_read(user=request.user, notification_id=notification_id):
        raise Http404("Notification not found.")
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    services.notification_mark_all_read(user=request.user)
    return redirect("notifications:list")
