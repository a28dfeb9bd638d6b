from allauth.account import views as allauth_views
from django.urls import path

from accounts import views

# Our names for allauth's sign-in and sign-out ("login", "logout" are used across the
# templates), ahead of allauth's own URLs under the same prefix.
urlpatterns = [
    path("login/", allauth_views.login, name="login"),
    path("logout/", allauth_views.logout, name="logout"),
    path("2fa/enrol/", views.mfa_enrol, name="accounts_mfa_enrol"),
    path("security/", views.security, name="accounts_security"),
]
