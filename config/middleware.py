from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class PrivacyHeadersMiddleware:
    """Pages about concerns must not linger in shared or back-button caches."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response.setdefault("Cache-Control", "no-store, private")
        # The Content-Security-Policy comes from django-csp (CONTENT_SECURITY_POLICY).
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
