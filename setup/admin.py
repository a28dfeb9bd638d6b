"""The provider's registrations and identities stay off the admin site: a SocialApp holds a
client secret (the apps come from the environment anyway), a SocialToken a provider's token,
and a SocialAccount the claims of whoever signed in (h15's boundary)."""

from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin

for model in (SocialApp, SocialToken, SocialAccount):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
