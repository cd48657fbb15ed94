"""The help queue: filers' help requests, scoped to the administrator's courts.

Changes go through `accounts.self_service.help_request_update` (status, assignee, notes, and for a
"names don't match" request the name review in the same step), so each is an AuditEntry.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from courts.admin.scope import CourtScopedAdmin, CourtScopedFilter
from courts.admin.zones import court_time, court_value
from accounts.admin.history import AuditTrailHistoryAdmin
from accounts.audit import audit_entries_for
from accounts.models import HelpReason, HelpRequest
from accounts.self_service import SelfServiceRefused, help_request_update


class HelpRequestForm(forms.ModelForm):
    verify_names = forms.BooleanField(
        required=False, label="Verify the names (same person)",
        help_text="For a \"names don't match\" request: mark this login's names as verified, so it can be linked.",
    )

    class Meta:
        model = HelpRequest
        fields = ("status", "assigned_to", "notes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.reason != HelpReason.NAMES:
            del self.fields["verify_names"]  # only a "names don't match" request can verify names


@admin.register(HelpRequest)
class HelpRequestAdmin(AuditTrailHistoryAdmin, CourtScopedAdmin):
    form = HelpRequestForm
    list_display = ("id", "created_local", "court_code", "login", "filer", "reason", "status", "assigned_to", "age")
    list_filter = ("status", CourtScopedFilter, "reason", ("assigned_to", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("court", "account__filer", "assigned_to")
    search_fields = ("^account__login", "^account__filer__email", "account__filer__name")
    ordering = ("created_at",)  # the queue: oldest first
    readonly_fields = ("court", "login", "filer", "reason", "text", "created_local_field", "resolved_local", "audit_trail")
    fieldsets = (
        ("Request", {"fields": ("court", "login", "filer", "reason", "text", "created_local_field")}),
        ("Handling", {"fields": ("status", "assigned_to", "notes", "verify_names", "resolved_local")}),
        ("Audit trail", {"fields": ("audit_trail",)}),
    )

    def get_fieldsets(self, request, obj=None):
        # "Verify the names" only where it means something: a "names don't match" request.
        if obj is not None and obj.reason == HelpReason.NAMES:
            return self.fieldsets
        return [(name, {**opts, "fields": tuple(f for f in opts["fields"] if f != "verify_names")})
                for name, opts in self.fieldsets]

    def scope_q(self, ids):
        # The login's court as well as the request's: a request is its login's court's to see and
        # handle (`cmecf_account_update` moves it with the login), and never another court's login.
        return Q(court_id__in=ids, account__court_id__in=ids)

    def has_add_permission(self, request):
        return False  # filers make requests from their status page

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="court", ordering="court__court_id")
    def court_code(self, obj):
        return obj.court.court_id

    @admin.display(description="asked (court time)", ordering="created_at")
    def created_local(self, obj):
        return court_time(obj.created_at, obj.court)

    @admin.display(description="asked (court time)")
    def created_local_field(self, obj):
        return court_time(obj.created_at, obj.court)

    @admin.display(description="resolved (court time)")
    def resolved_local(self, obj):
        return court_time(obj.resolved_at, obj.court) if obj.resolved_at else "—"

    @admin.display(description="CM/ECF login", ordering="account__login")
    def login(self, obj):
        return obj.account.login

    @admin.display(description="filer")
    def filer(self, obj):
        filer = obj.account.filer
        return f"{filer.name} <{filer.email}>"

    @admin.display(description="age")
    def age(self, obj):
        end = obj.resolved_at or timezone.now()
        days = (end - obj.created_at).days
        return f"{days} day{'s' if days != 1 else ''}"

    @admin.display(description="changes")
    def audit_trail(self, obj):
        if not obj.pk:
            return "—"
        entries = sorted([*audit_entries_for(obj, obj.court_id), *audit_entries_for(obj.account, obj.court_id)],
                         key=lambda e: e.at, reverse=True)
        rows = [(court_time(e.at, obj.court), e.who, e.object_repr, e.field,
                 court_value(e.old_value, obj.court), court_value(e.new_value, obj.court)) for e in entries]
        if not rows:
            return "No recorded changes."
        return format_html(
            '<div class="audit-trail" tabindex="0" role="region" aria-label="Changes to this request">'
            "<table><tr><th>when</th><th>who</th><th>record</th><th>field</th><th>old</th><th>new</th></tr>{}</table></div>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    def save_model(self, request, obj, form, change):
        # Never a plain save: the service audits each change (and verifies names when asked).
        data = form.cleaned_data
        try:
            help_request_update(obj, by=request.user, status=data["status"], assigned_to=data["assigned_to"],
                                notes=data["notes"], verify_names=data.get("verify_names", False))
        except SelfServiceRefused as exc:
            messages.error(request, str(exc))

    def save_related(self, request, form, formsets, change):
        pass  # no related objects; the service saved everything

