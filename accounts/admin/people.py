"""Filers (with their accounts at every court the user administers), PACER accounts, administrators, counts."""
from __future__ import annotations

from django.contrib import admin

from accounts.admin.scope import CourtScopedAdmin, CourtScopedFilter, ReadOnlyAdmin, exists_at_courts, request_court_ids
from accounts.models import CmecfAccount, CourtAdministrator, CourtReadinessCount, Filer, PacerAccount


class CmecfAccountInline(admin.TabularInline):
    """A filer's CM/ECF accounts, at the user's courts only. Changes go through the account page."""

    model = CmecfAccount
    fields = ("court", "login", "cmecf_name", "name_review", "linked_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("court")
        ids = request_court_ids(request)
        return queryset if ids is None else queryset.filter(court_id__in=ids)

    def has_add_permission(self, request, obj=None):
        return False


class _ByAccountsScope(CourtScopedAdmin):
    """Scoped through the CM/ECF accounts: visible when one of them is at the user's courts."""

    accounts_path = "filer"

    def scope(self, request, queryset):
        ids = request_court_ids(request)
        if ids is None:
            return queryset
        return queryset.filter(exists_at_courts(self.accounts_path, ids))


@admin.register(Filer)
class FilerAdmin(_ByAccountsScope):
    list_display = ("name", "email", "pacer_account")
    list_select_related = ("pacer_account",)
    search_fields = ("^email", "name", "^pacer_account__username")
    show_full_result_count = False
    raw_id_fields = ("pacer_account",)
    inlines = (CmecfAccountInline,)


@admin.register(PacerAccount)
class PacerAccountAdmin(_ByAccountsScope):
    accounts_path = "filer__pacer_account"
    list_display = ("username", "account_type", "holder_name", "created_on", "upgraded", "upgrade_reported_at")
    list_filter = ("account_type", "upgraded", ("upgrade_reported_at", admin.EmptyFieldListFilter))
    search_fields = ("^username", "holder_name")
    show_full_result_count = False
    readonly_fields = ("name_key", "upgrade_reported_at")

    def save_model(self, request, obj, form, change):
        if obj.upgraded:  # staff confirm the upgrade: the holder's own report of it is settled
            obj.upgrade_reported_at = None
        super().save_model(request, obj, form, change)


@admin.register(CourtAdministrator)
class CourtAdministratorAdmin(CourtScopedAdmin):
    list_display = ("user", "court", "created_at")
    list_filter = (CourtScopedFilter,)
    search_fields = ("user__username", "court__court_id", "court__name")
    list_select_related = ("user", "court")
    autocomplete_fields = ()


@admin.register(CourtReadinessCount)
class CourtReadinessCountAdmin(ReadOnlyAdmin):
    list_display = ("court", "total", "no_pacer", "shared", "legacy", "name_mismatch", "clear", "linked", "link_reported",
                    "upgrade_reported", "refreshed_at")
    list_filter = (CourtScopedFilter,)
    list_select_related = ("court",)
    search_fields = ("court__court_id", "court__name")
    ordering = ("court__court_id",)
