from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path


def whoami(request):
    """Who the provider's own session is signed in as (the sign-out test asks)."""
    user = request.user
    return JsonResponse({"username": user.get_username() if user.is_authenticated else None})


def mixup(request):
    """The provider's real discovery document at another address: it names the issuer ``/o``,
    not ``/mixup``, as a document relayed from (or swapped for) another provider would."""
    from oauth2_provider.views import ConnectDiscoveryInfoView

    return ConnectDiscoveryInfoView.as_view()(request)


urlpatterns = [
    path("mixup/.well-known/openid-configuration", mixup),
    path("login/", auth_views.LoginView.as_view(template_name="idp/login.html"), name="login"),
    path("whoami/", whoami),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
