"""The one confinement mechanism of the admin: every page, choice, label, action and export stays within
the courts the user administers (a superuser: every court), on top of Django's model permissions.

- `CourtScopedAdmin` (and `CourtScopedInline`) scope the queryset (`scope`), so lists, searches,
  filters, actions, exports, change, history and delete pages, and the autocomplete answers that use
  this admin, see only the user's courts; another court's record answers 404.
- Every foreign-key and many-to-many choice is narrowed the same way (`scoped_choices`): a key to a
  model registered with a scoped admin offers only what that admin shows the user, so neither a
  choice list, an autocomplete box nor a posted id can reach another court's record.
- `SharedFactsAdmin`: a filer's name, email and PACER account, and a PACER account's facts, belong to
  every court where the filer has a CM/ECF account. They are shown to any administrator of one of
  those courts, and may be changed only by one who administers all of them (read-only otherwise,
  with the reason, which names no other court).
"""
from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.selectors import court_codes_outside, court_ids_for_user
from courts.models import Court


def request_court_ids(request) -> list[int] | None:
    """The user's court ids, read once per request (None = every court)."""
    if not hasattr(request, "rollout_court_ids"):
        request.rollout_court_ids = court_ids_for_user(request.user)
    return request.rollout_court_ids


def request_courts(request) -> QuerySet[Court]:
    ids = request_court_ids(request)
    return Court.objects.all() if ids is None else Court.objects.filter(pk__in=ids)


def scoped_choices(admin_site, request, model) -> QuerySet | None:
    """The rows of `model` a form field may offer the user, or None for "no court limit".

    Courts: the user's. Users: the user and active staff who administer one of the user's courts. A model registered with
    a scoped admin: what that admin shows the user. Anything else (rollouts, content types) is not
    court data.
    """
    ids = request_court_ids(request)
    if ids is None:
        return None
    if model is Court:
        return Court.objects.filter(pk__in=ids)
    if model is get_user_model():
        colleagues = Q(court_assignments__court_id__in=ids, is_active=True, is_staff=True)
        return model._default_manager.filter(Q(pk=request.user.pk) | colleagues).distinct().order_by("username")
    if admin_site.is_registered(model):
        model_admin = admin_site.get_model_admin(model)
        if isinstance(model_admin, CourtScope):
            return model_admin.scope(request, model._default_manager.all())
    return None


class CourtScope:
    """Scoping shared by model admins and inlines.

    `court_field` is the path from the model to its court ("court", "golive__court", "pk" for Court);
    a model reached through its CM/ECF accounts overrides `scope_q` instead.
    """

    court_field: str = "court"

    def scope_q(self, ids: list[int]) -> Q:
        return Q(**{f"{self.court_field}__in": ids})

    def scope(self, request, queryset: QuerySet) -> QuerySet:
        ids = request_court_ids(request)
        return queryset if ids is None else queryset.filter(self.scope_q(ids))

    def get_queryset(self, request):
        return self.scope(request, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            choices = scoped_choices(self.admin_site, request, db_field.related_model)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            choices = scoped_choices(self.admin_site, request, db_field.related_model)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class CourtScopedAdmin(CourtScope, admin.ModelAdmin):
    """A ModelAdmin confined to the user's courts. Another court's record answers 404 on its change,
    history and delete URLs, exactly as a missing one does."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such record among your courts.")
        return obj


class CourtScopedInline(CourtScope, admin.TabularInline):
    """An inline confined to the user's courts, like its parent admin."""


def exists_at_courts(model_path: str, ids: list[int]):
    """Exists(a CM/ECF account at one of `ids`) for a Filer (model_path "filer") or PACER account."""
    from accounts.models import CmecfAccount

    return Exists(CmecfAccount.objects.filter(**{model_path: OuterRef("pk"), "court_id__in": ids}))


class SharedFactsAdmin(CourtScopedAdmin):
    """Filers and PACER accounts: seen through their CM/ECF accounts, changed only with all their courts.

    `accounts_path` is the path from a CM/ECF account to this model ("filer", "filer__pacer_account").
    """

    accounts_path: str = "filer"

    def scope_q(self, ids):
        return Q(exists_at_courts(self.accounts_path, ids))

    def other_courts(self, request, obj) -> list[str]:
        """Codes of the courts of `obj` the user does not administer (read once per request and record)."""
        ids = request_court_ids(request)
        if ids is None or obj is None or obj.pk is None:
            return []
        cache = getattr(request, "rollout_other_courts", None)
        if cache is None:
            cache = request.rollout_other_courts = {}
        key = (type(obj).__name__, obj.pk)
        if key not in cache:
            from accounts.models import CmecfAccount

            cache[key] = court_codes_outside(CmecfAccount.objects.filter(**{self.accounts_path: obj}), ids)
        return cache[key]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self.other_courts(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self.other_courts(request, obj)

    def get_actions(self, request):
        # A bulk delete would reach the CM/ECF accounts of courts the user may not administer.
        actions = super().get_actions(request)
        if request_court_ids(request) is not None:
            actions.pop("delete_selected", None)
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        others = self.other_courts(request, obj)
        if others:
            extra_context = {**(extra_context or {}), "subtitle": (
                f"Read-only here: also at courts you do not administer. A {self.opts.verbose_name}'s facts are "
                "shared by all their courts, so only an administrator of every one of them (or the help desk) can "
                "change them."
            )}
        return super().change_view(request, object_id, form_url, extra_context)


class ReadOnlyAdmin(CourtScopedAdmin):
    """A record list nobody adds to, changes or deletes from in the admin (histories, deliveries, bounces)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CourtScopedFilter(admin.SimpleListFilter):
    """A "court" filter listing only the user's courts (no scan of the big table for the choices), with a
    search box that narrows the list as one types (static/rollout/admin.js)."""

    title = "court"
    template = "admin/court_filter.html"
    parameter_name = "court"
    field_path = "court_id"

    def lookups(self, request, model_admin):
        courts = request_courts(request).order_by("court_id").values_list("pk", "court_id", "name")
        return [(str(pk), f"{code} — {name}") for pk, code, name in courts]

    def queryset(self, request, queryset):
        if self.value():
            try:
                return queryset.filter(**{self.field_path: int(self.value())})
            except ValueError:
                return queryset.none()
        return queryset


class CourtCircuitFilter(admin.SimpleListFilter):
    """The circuits of the user's courts only."""

    title = "circuit"
    parameter_name = "circuit"
    field_path = "court__circuit"

    def lookups(self, request, model_admin):
        circuits = request_courts(request).exclude(circuit="").order_by("circuit").values_list("circuit", flat=True)
        return [(c, c) for c in circuits.distinct()]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.field_path: self.value()}) if self.value() else queryset
