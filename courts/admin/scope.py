"""The one confinement mechanism of the admin: every page, choice, label, action and export stays within
the courts the user administers (a superuser: every court), on top of Django's model permissions.

- `CourtScopedAdmin` (and `CourtScopedInline`) scope the queryset (`scope`), so lists, searches,
  filters, actions, exports, change, history and delete pages, and the autocomplete answers that use
  this admin, see only the user's courts; another court's record answers 404.
- Every foreign-key and many-to-many choice is narrowed the same way (`scoped_choices`): a key to a
  model registered with a scoped admin offers only what that admin shows the user, so neither a
  choice list, an autocomplete box nor a posted id can reach another court's record.
- Filers and PACER accounts, whose facts several courts share, build on it in
  `accounts.admin.shared_facts`.

It lives in the lowest app (courts) so every app's admin uses it with arrows pointing down only; who
administers which court is read by `courts.selectors.court_ids_for_user`.
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.functional import cached_property

from courts.models import Court
from courts.selectors import court_ids_for_user


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

    def get_changelist_formset(self, request, **kwargs):
        """The list's editable rows: a row's id must be one of the rows this admin shows the user.
        Django checks it against the whole table, so another court's id passed the check as a row
        that did not load, and its form, bound to a blank record, went on to be saved (a 500 on the
        missing court, where an unknown id is a plain form error): refused here as an unknown id is."""
        formset = super().get_changelist_formset(request, **kwargs)

        def add_fields(self, form, index):
            formset.add_fields(self, form, index)
            pk = self.model._meta.pk.name
            if pk in form.fields:
                form.fields[pk].queryset = self.get_queryset()  # the posted rows, within the user's courts

        return type(formset.__name__, (formset,), {"add_fields": add_fields})


class CourtScopedInline(CourtScope, admin.TabularInline):
    """An inline confined to the user's courts, like its parent admin."""


class ReadOnlyAdmin(CourtScopedAdmin):
    """A record list nobody adds to, changes or deletes from in the admin (histories, deliveries, bounces)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CappedCountPaginator(Paginator):
    """A paginator for lists of up to a million rows: it counts at most `count_cap` + 1 of them (a
    bounded subquery, `SELECT COUNT(*) FROM (SELECT id … LIMIT cap + 1)`), never the whole table.

    Up to the cap the count is exact. Past it `capped` is set and `count` is the cap: the pages
    hold the first `count_cap` rows, and `CappedCountAdmin` says on the page that more match.
    """

    count_cap = 10_000

    @cached_property
    def counted(self) -> int:
        """Rows found, up to count_cap + 1: one bounded query."""
        if not isinstance(self.object_list, QuerySet):
            return len(self.object_list)
        return self.object_list.order_by().values("pk")[: self.count_cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.count_cap)

    @property
    def capped(self) -> bool:
        """More rows match than were counted."""
        return self.counted > self.count_cap


class CappedCountAdmin:
    """Mixin for a ModelAdmin of a big table: counts with `CappedCountPaginator` (and never the whole
    table for the "N total" either), and when more rows match than it counts, says so above the list:
    the number shown with the pages is then the cap, and "select all" still acts on every match."""

    paginator = CappedCountPaginator
    show_full_result_count = False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = (getattr(response, "context_data", None) or {}).get("cl")
        if cl is not None and getattr(cl.paginator, "capped", False):
            cap = cl.paginator.count_cap
            self.message_user(request, f"More than {cap:,} {self.opts.verbose_name_plural} match: the count and the "
                                       f"pages stop at the first {cap:,} (filter or search to narrow them). An action "
                                       f"on all of them acts on every match.", messages.INFO)
        return response


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
