"""The audit trail, read-only and filterable by court, field, who and date."""
from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from courts.admin.zones import CourtDateFilter, CourtZoneFormAdmin, court_time, court_value
from courts.admin.scope import CappedCountAdmin, CourtScopedFilter, ReadOnlyAdmin
from accounts.audit import audit_field_names
from accounts.models import AuditEntry


class FieldFilter(admin.SimpleListFilter):
    """The changed field, from the fixed list of names the code records (`audit_field_names`): no
    SELECT DISTINCT over the whole trail for the choices."""

    title = "field"
    parameter_name = "field"

    def lookups(self, request, model_admin):
        return [(name, name) for name in audit_field_names()]

    def queryset(self, request, queryset):
        return queryset.filter(field=self.value()) if self.value() else queryset


class SourceFilter(admin.SimpleListFilter):
    title = "who (source)"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        sources = model_admin.get_queryset(request).order_by("source").values_list("source", flat=True).distinct()[:50]
        return [(s, s) for s in sources if s]

    def queryset(self, request, queryset):
        return queryset.filter(source=self.value()) if self.value() else queryset


class AuditDateFilter(CourtDateFilter):
    court_may_be_empty = True  # an entry of no court: the user's own days, as its time is shown


@admin.register(AuditEntry)
class AuditEntryAdmin(CappedCountAdmin, CourtZoneFormAdmin, ReadOnlyAdmin):
    list_display = ("at_local", "who", "court_code", "object_repr", "field", "old_shown", "new_shown")
    # No date hierarchy and no plain date filter: both cut days at the user's midnight, not the court's.
    list_filter = (CourtScopedFilter, FieldFilter, SourceFilter, ("user", admin.RelatedOnlyFieldListFilter), AuditDateFilter)
    list_select_related = ("user", "court")
    search_fields = ("object_repr", "^source")

    def zone_court(self, obj):
        # The court key has no database constraint: an id whose court is gone leaves the page in the
        # user's zone, as an entry of no court is.
        try:
            return obj.court
        except ObjectDoesNotExist:
            return None

    @admin.display(description="when (court time)", ordering="at")
    def at_local(self, obj):
        return court_time(obj.at, obj.court) if obj.court_id else timezone.localtime(obj.at).strftime("%Y-%m-%d %H:%M %Z")

    @admin.display(description="court", ordering="court__court_id")
    def court_code(self, obj):
        return obj.court.court_id if obj.court_id else "—"

    @admin.display(description="old value")
    def old_shown(self, obj):
        return court_value(obj.old_value, obj.court)

    @admin.display(description="new value")
    def new_shown(self, obj):
        return court_value(obj.new_value, obj.court)

    @admin.display(description="who")
    def who(self, obj):
        return obj.who
