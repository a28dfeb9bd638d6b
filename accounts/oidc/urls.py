"""The provider sign-in URLs (allauth mounts them under /accounts/): the same paths and names
as allauth's openid_connect provider, on the views of accounts.oidc."""

from allauth.socialaccount import app_settings
from django.urls import include, path, re_path

from accounts import oidc

urlpatterns = [
    re_path(
        r"^(?P<provider_id>[^/]+)/",
        include(
            [
                path("login/", oidc.login, name="openid_connect_login"),
                path("login/callback/", oidc.callback, name="openid_connect_callback"),
            ]
        ),
    )
]
if app_settings.OPENID_CONNECT_URL_PREFIX:
    urlpatterns = [path(f"{app_settings.OPENID_CONNECT_URL_PREFIX}/", include(urlpatterns))]
