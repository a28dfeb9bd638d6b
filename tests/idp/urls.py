from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path


def whoami(request):
    """Who the provider's own session is signed in as (the sign-out test asks)."""
    user = request.user
    return JsonResponse({"username": user.get_username() if user.is_authenticated else None})


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="idp/login.html"), name="login"),
    path("whoami/", whoami),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
