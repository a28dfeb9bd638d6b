"""Plain error pages: they never echo the request, so nothing identifying leaks into them."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from config.unavailable import current_exception_is_unavailable, service_unavailable


def _page(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": title}, status=status)
    body = render_to_string("error.html", {"title": title, "text": text, "status": status})
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, "Bad request", "We could not understand that request.")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403, "You cannot do that", "You do not have permission for this.")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404, "Page not found", "Check the address, or go back to the start.")


def server_error(request: HttpRequest) -> HttpResponse:
    if current_exception_is_unavailable():  # the database is down: 503, not a bug
        return service_unavailable(request)
    return _page(request, 500, "Sorry, there is a problem", "Please try again later.")
