"""The administrator's boundary on the admin site: accounts and their roles, never a
token, a session, an MFA secret or a case. Nobody changes their own roles there."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from knox.models import AuthToken

from accounts.models import SecurityEvent
from accounts.policies import may_change_roles
from concerns.admin import MembershipAdmin
from concerns.models import Membership

User = get_user_model()

# Tokens (knox would even make one for any user and show it), e-mail confirmation keys, MFA
# secrets and the raw groups (roles are fixed; their members are edited on the user).
for model in (AuthToken, EmailConfirmation, EmailAddress, Authenticator, Group, User):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class AccountChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "is_active", "groups"]
        labels = {"groups": "Roles"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.actor = kwargs.pop("actor", None)
        super().__init__(*args, **kwargs)

    def clean_groups(self) -> Any:
        groups = self.cleaned_data["groups"]
        if self.instance.pk and self.actor is not None:
            before = set(self.instance.groups.values_list("pk", flat=True))
            after = {g.pk for g in groups}
            if before != after and not may_change_roles(actor=self.actor, target=self.instance):
                from accounts.services import security_event_record

                security_event_record(
                    kind=SecurityEvent.Kind.ROLE_REFUSED,
                    user=self.instance,
                    actor=self.actor,
                    detail=",".join(sorted(g.name for g in groups)),
                )
                raise ValidationError("You cannot change your own roles.")
        return groups

    def clean_is_active(self) -> bool:
        active = self.cleaned_data["is_active"]
        own = self.actor is not None and self.instance.pk == self.actor.pk
        if own and not active:
            raise ValidationError("You cannot disable your own account.")
        return active


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Accounts: name, e-mail, active, roles. No password hash, no permissions, and no
    'change password' screen (an administrator who set a password could sign in as anyone;
    the account holder resets their own by e-mail)."""

    form = AccountChangeForm
    list_display = ["username", "first_name", "last_name", "is_active", "roles"]
    list_filter = ["is_active", "groups"]
    fieldsets = [
        (None, {"fields": ["username", "first_name", "last_name", "email"]}),
        ("Access", {"fields": ["is_active", "groups", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    readonly_fields = ["is_superuser", "last_login", "date_joined"]
    filter_horizontal = ["groups"]

    @admin.display(description="Roles")
    def roles(self, obj: Any) -> str:
        return ", ".join(sorted(g.name for g in obj.groups.all()))

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("groups")

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            return form

        class Bound(form):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, actor=request.user, **kw)

        return Bound

    def get_urls(self) -> list:
        # Drop UserAdmin's password screen: /admin/auth/user/<id>/password/ is a 404.
        return [u for u in super().get_urls() if "password" not in str(u.pattern)]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # accounts are disabled, not deleted (their history stays)


class MembershipForm(forms.ModelForm):
    actor: Any = None

    class Meta:
        model = Membership
        fields = ["user", "organisation"]

    def clean(self) -> dict:
        data = super().clean()
        user = data.get("user") or getattr(self.instance, "user", None)
        if user is not None and not may_change_roles(actor=self.actor, target=user):
            raise ValidationError("You cannot change your own organisations.")
        return data


admin.site.unregister(Membership)


@admin.register(Membership)
class GuardedMembershipAdmin(MembershipAdmin):
    form = MembershipForm

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.user_id == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """The security log: read only, for everyone, for ever."""

    list_display = ["at", "kind", "username", "actor_username", "detail"]
    list_filter = ["kind"]
    search_fields = ["username", "actor_username"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
