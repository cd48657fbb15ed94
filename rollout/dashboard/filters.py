"""What the overview and court pages filter on (django-filter); every field is labelled for screen readers."""
from __future__ import annotations

import django_filters
from django import forms
from django.db import connection
from django.db.models import BooleanField, F, Func, Q, Subquery

from accounts.models import CmecfAccount, Filer
from accounts.readiness import Readiness, readiness_q
from courts.models import Court, CourtType, GoLiveStatus

CIRCUITS = [(c, "Federal Circuit" if c == "FC" else "D.C. Circuit" if c == "DC" else f"Circuit {int(c)}")
            for c in [f"{n:02d}" for n in range(1, 12)] + ["DC", "FC"]]


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet whose `q` field searches every lookup in `search_lookups` (any one may match)."""

    search_lookups: tuple[str, ...] = ()

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        match = Q()
        for lookup in self.search_lookups:
            match |= Q(**{lookup: value})
        return queryset.filter(match)


class CourtFilter(SearchFilterSet):
    """Filters over `selectors.courts_with_rollout` (status is the displayed, clock-aware status)."""

    q = django_filters.CharFilter(method="filter_q", label="Search name or code",
                                  widget=forms.TextInput(attrs={"type": "search", "placeholder": "e.g. Montana or mtd"}))
    circuit = django_filters.ChoiceFilter(choices=CIRCUITS, label="Circuit", empty_label="All circuits")
    court_type = django_filters.ChoiceFilter(choices=CourtType.choices, label="Type", empty_label="All types")
    status = django_filters.ChoiceFilter(field_name="display_status", choices=GoLiveStatus.choices, label="Status",
                                         empty_label="Any status")
    golive_from = django_filters.DateFilter(field_name="golive_date", lookup_expr="gte", label="Go-live from",
                                            widget=forms.DateInput(attrs={"type": "date"}))
    golive_to = django_filters.DateFilter(field_name="golive_date", lookup_expr="lte", label="Go-live to",
                                          widget=forms.DateInput(attrs={"type": "date"}))

    search_lookups = ("name__icontains", "title__icontains", "court_id__icontains", "cmecf_code__iexact")

    class Meta:
        model = Court
        fields: list[str] = []


class AnyOfArray(Func):
    """PostgreSQL's `column = ANY(ARRAY(subquery))`: the subquery runs once and its values become index
    conditions, where `column IN (subquery)` would be planned as a join over every row of the court."""

    template = "(%(expressions)s)))"
    arg_joiner = " = ANY(ARRAY("


class AccountFilter(SearchFilterSet):
    """Filters over `selectors.court_accounts` (one court's accounts, `readiness` annotated).

    The readiness filter is written as plain conditions (`readiness_q`), not a filter on the CASE
    annotation, so the planner walks the court's (court, login) index and stops at the page's rows. The
    search matches the account's login and CM/ECF name, or a filer found by name or email through the
    filers' trigram index (accounts migration 0008, PostgreSQL) — never a join of every account of the
    court to every filer.
    """

    readiness = django_filters.ChoiceFilter(choices=Readiness.choices, label="Readiness", empty_label="Every state",
                                            method="filter_readiness")
    q = django_filters.CharFilter(method="filter_q", label="Search name, login or email",
                                  widget=forms.TextInput(attrs={"type": "search"}))

    class Meta:
        model = CmecfAccount
        fields: list[str] = []

    def __init__(self, *args, court_id: int, live_court_ids: list[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.court_id = court_id
        self.live_court_ids = live_court_ids or []

    def filter_readiness(self, queryset, name, value):
        return queryset.filter(readiness_q(value, self.live_court_ids)) if value else queryset

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Two sets joined by UNION, each with its own plan: the court's accounts whose login or CM/ECF name
        # matches (one pass over the court's rows), and the accounts of filers found through the trigram
        # index. An OR of the two would walk the court's accounts in login order, fetching each row.
        filers = Filer.objects.filter(Q(name__icontains=value) | Q(email__icontains=value)).order_by().values("pk")
        court_accounts = CmecfAccount.objects.filter(court_id=self.court_id).order_by()
        own = court_accounts.filter(Q(login__icontains=value) | Q(cmecf_name__icontains=value)).values("pk")
        if connection.vendor == "postgresql":
            # filer_id = ANY(ARRAY(…)): the filers are found once, then probed in the (filer, court) index.
            via_filer = court_accounts.filter(AnyOfArray(F("filer_id"), Subquery(filers), output_field=BooleanField()))
        else:
            via_filer = court_accounts.filter(filer_id__in=filers)
        via_filer = via_filer.values("pk")
        return queryset.filter(pk__in=own.union(via_filer))

    def _applied(self) -> dict:
        """The values the queryset was filtered on: django-filter applies every valid field of a
        form that is invalid elsewhere (a stale bookmark's unknown readiness beside a search), so an
        invalid form is not an unfiltered one."""
        self.form.is_valid()
        return getattr(self.form, "cleaned_data", {})

    @property
    def only_readiness(self) -> str | None:
        """The readiness state when it is the only filter (its stored count is then the row count)."""
        data = self._applied()
        if data.get("readiness") and not (data.get("q") or "").strip():
            return data["readiness"]
        return None

    @property
    def is_unfiltered(self) -> bool:
        data = self._applied()
        return not data.get("readiness") and not (data.get("q") or "").strip()
