"""Scoping every admin page to the courts the user administers (superuser: every court)."""
from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from accounts.selectors import court_ids_for_user
from courts.models import Court


def request_court_ids(request) -> list[int] | None:
    """The user's court ids, read once per request (None = every court)."""
    if not hasattr(request, "_rollout_court_ids"):
        request._rollout_court_ids = court_ids_for_user(request.user)
    return request._rollout_court_ids


class CourtScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose lists, change pages, choices, actions and exports stay within the user's courts.

    `court_field` is the path from the model to its court ("court", "golive__court", "pk" for Court).
    Another court's object answers 404 on its change, history and delete URLs.
    """

    court_field: str = "court"

    def scope(self, request, queryset: QuerySet) -> QuerySet:
        ids = request_court_ids(request)
        if ids is None:
            return queryset
        return queryset.filter(**{f"{self.court_field}__in": ids})

    def get_queryset(self, request):
        return self.scope(request, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Missing, or another court's: both look the same, and neither is shown.
            raise Http404("No such record among your courts.")
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Court:
            ids = request_court_ids(request)
            if ids is not None:
                kwargs["queryset"] = Court.objects.filter(pk__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CourtScopedFilter(admin.SimpleListFilter):
    """A "court" filter listing only the user's courts (no scan of the big table for the choices)."""

    title = "court"
    parameter_name = "court"
    field_path = "court_id"

    def lookups(self, request, model_admin):
        ids = request_court_ids(request)
        courts = Court.objects.all() if ids is None else Court.objects.filter(pk__in=ids)
        return [(str(pk), f"{code} — {name}") for pk, code, name in courts.order_by("court_id").values_list("pk", "court_id", "name")]

    def queryset(self, request, queryset):
        if self.value():
            try:
                return queryset.filter(**{self.field_path: int(self.value())})
            except ValueError:
                return queryset.none()
        return queryset


def exists_at_courts(model_path: str, ids: list[int]):
    """Exists(a CM/ECF account at one of `ids`) for a Filer (model_path "filer") or PACER account."""
    from accounts.models import CmecfAccount

    return Exists(CmecfAccount.objects.filter(**{model_path: OuterRef("pk"), "court_id__in": ids}))


class ReadOnlyAdmin(CourtScopedAdmin):
    """A history list: nobody adds, changes or deletes its rows in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
