from __future__ import annotations

from django.contrib import admin

from rollout.signin.models import SignInEvent


@admin.register(SignInEvent)
class SignInEventAdmin(admin.ModelAdmin):
    """The sign-in log: superusers only (it names every staff account and address), read-only."""

    list_display = ("at", "kind", "username", "method", "address", "detail")
    list_filter = ("kind", "method", "at")
    search_fields = ("username", "address", "detail")
    date_hierarchy = "at"

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
