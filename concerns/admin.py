"""Administrators manage configuration — organisations, memberships, categories — never case
content: no concern, case, message or note is registered here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import F
from django.http import HttpRequest

from concerns.models import Category, Department, Membership, Organisation, QualityStandard


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 1

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # concerns keep the department they were raised in


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    inlines = [DepartmentInline]
    actions = None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An organisation is retired (is_active), never deleted: deleting it would take its
        # concerns with it, and its confirmation page listed every case it holds.
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["user__username", "organisation__code"]
    autocomplete_fields = ["organisation"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "version", "is_active", "position"]
    readonly_fields = ["version", "updated_at"]
    filter_horizontal = ["standards"]
    # A category in use is retired (is_active), never deleted: old concerns keep their meaning.
    actions = None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        if change:
            obj.version = F("version") + 1  # every edit is a new version of the category
        super().save_model(request, obj, form, change)
        obj.refresh_from_db(fields=["version"])


@admin.register(QualityStandard)
class QualityStandardAdmin(admin.ModelAdmin):
    """The published framework: readable here, changed only by its data migration."""

    list_display = ["code", "domain", "text"]
    list_filter = ["domain"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
