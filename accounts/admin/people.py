"""Filers (with their accounts at every court the user administers), PACER accounts, administrators, counts.

A filer's and a PACER account's facts are shared by all the filer's courts (`SharedFactsAdmin`), and
every save goes through `accounts.services`, so the stored counts and the audit trail follow.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from accounts.admin.shared_facts import SharedFactsAdmin
from courts.admin.scope import (
    CappedCountAdmin, CourtScopedAdmin, CourtScopedFilter, CourtScopedInline, ReadOnlyAdmin, request_court_ids,
)
from courts.admin.zones import court_time
from accounts.admin.saving import ServiceSavesAdmin
from accounts.models import CmecfAccount, CourtAdministrator, CourtReadinessCount, Filer, PacerAccount
from accounts.selectors import pacer_account_attach_agrees
from accounts.services import (
    cmecf_account_create, cmecf_account_update, filer_create, filer_delete, filer_update, pacer_account_create, pacer_account_delete,
    pacer_account_update,
)


class CmecfAccountInline(CourtScopedInline):
    """A filer's CM/ECF accounts, at the user's courts only. Changes go through the account page."""

    model = CmecfAccount
    fields = ("court", "login", "cmecf_name", "name_review", "linked_at_local")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("court")

    @admin.display(description="linked at (court time)")
    def linked_at_local(self, obj):
        # A filer's accounts may be at courts of different zones: each row in its own court's, labelled.
        return court_time(obj.linked_at, obj.court) if obj.linked_at else "—"

    def has_add_permission(self, request, obj=None):
        return False


class NewCmecfAccountInline(CourtScopedInline):
    """A new filer's first CM/ECF login, at one of the user's courts: without it, a court
    administrator's new filer would belong to no court of theirs and vanish from their lists."""

    model = CmecfAccount
    fields = ("court", "login", "cmecf_name")
    extra = 1
    can_delete = False
    verbose_name = "CM/ECF login at your court"

    def get_min_num(self, request, obj=None, **kwargs):
        return 0 if request.user.is_superuser else 1

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, validate_min=True, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False


ALREADY_REGISTERED = (
    "Already registered to a filer record, so it cannot be entered here. If the filer is one of your courts', "
    "find them in the list; otherwise import a roster row whose name, email and PACER username agree with their "
    "record, or ask the help desk."
)


class FilerForm(forms.ModelForm):
    """A filer, and optionally the new individual PACER account they now use (a court administrator
    cannot see PACER accounts of no filer of theirs, so a new one is entered here, not chosen)."""

    new_pacer_username = forms.CharField(
        max_length=80, required=False, label="New PACER account: username",
        help_text="Only when the filer now uses a PACER account the tracker does not know yet (the login only).",
    )
    new_pacer_created_on = forms.DateField(required=False, label="New PACER account: created on",
                                           help_text="Before 2014-08-11 means a legacy account.")
    new_pacer_upgraded = forms.BooleanField(required=False, label="New PACER account: upgraded")
    court_ids: list[int] | None = None  # the user's courts (None = every court), set by the admin's get_form

    class Meta:
        model = Filer
        fields = ("name", "email", "pacer_account")

    def clean_email(self):
        # One answer whichever record holds the address, at whichever court, and the same as for a
        # PACER username below: a form must not tell one court what another holds.
        email = (self.cleaned_data.get("email") or "").strip().lower()
        if email and Filer.objects.filter(email=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(ALREADY_REGISTERED)
        return email

    def clean(self):
        data = super().clean()
        username = (data.get("new_pacer_username") or "").strip()
        if username:
            if PacerAccount.objects.filter(username=username).exists():
                self.add_error("new_pacer_username", ALREADY_REGISTERED)
            data["new_pacer_username"] = username
        # Choosing a PACER account another filer uses attaches this filer to it: the import's identity
        # rule, with the import's one message (it names no record or court).
        account = data.get("pacer_account")
        if (account is not None and account.pk != self.instance.pacer_account_id
                and not pacer_account_attach_agrees(account, name=data.get("name") or "", filer_id=self.instance.pk,
                                                    court_ids=self.court_ids)):
            self.add_error("pacer_account", ALREADY_REGISTERED)
        return data

    def new_pacer_account(self) -> PacerAccount | None:
        username = self.cleaned_data.get("new_pacer_username")
        if not username:
            return None
        return PacerAccount(username=username, holder_name=self.cleaned_data.get("name", ""),
                            created_on=self.cleaned_data.get("new_pacer_created_on"),
                            upgraded=self.cleaned_data.get("new_pacer_upgraded", False))


@admin.register(Filer)
class FilerAdmin(CappedCountAdmin, ServiceSavesAdmin, SharedFactsAdmin):
    form = FilerForm
    list_display = ("name", "email", "pacer_account")
    list_select_related = ("pacer_account",)
    search_fields = ("^email", "name", "^pacer_account__username")
    autocomplete_fields = ("pacer_account",)
    create, update, delete = staticmethod(filer_create), staticmethod(filer_update), staticmethod(filer_delete)
    inline_create, inline_update = staticmethod(cmecf_account_create), staticmethod(cmecf_account_update)

    def get_inlines(self, request, obj):
        return (CmecfAccountInline,) if obj else (NewCmecfAccountInline,)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)  # a new class per call: the attribute is this request's
        form.court_ids = request_court_ids(request)
        return form

    def get_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return ("name", "email", "pacer_account")  # read-only: no new PACER account to enter
        return super().get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        pacer = form.new_pacer_account()
        if pacer is not None:
            pacer_account_create(pacer, by=request.user)
            obj.pacer_account = pacer
            form.changed_data.append("pacer_account")
        if change:
            super().save_model(request, obj, form, change)
        # A new filer is saved with their first logins, in save_related.

    def save_related(self, request, form, formsets, change):
        if change:
            return super().save_related(request, form, formsets, change)
        accounts = [account for formset in formsets for account in formset.save(commit=False)]
        filer_create(form.instance, accounts=accounts, by=request.user)
        form.save_m2m()


@admin.register(PacerAccount)
class PacerAccountAdmin(CappedCountAdmin, ServiceSavesAdmin, SharedFactsAdmin):
    accounts_path = "filer__pacer_account"
    list_display = ("username", "account_type", "holder_name", "created_on", "upgraded", "upgrade_reported_at")
    list_filter = ("account_type", "upgraded", ("upgrade_reported_at", admin.EmptyFieldListFilter))
    search_fields = ("^username", "holder_name")
    ordering = ("username",)
    readonly_fields = ("name_key", "upgrade_reported_at")
    create = staticmethod(pacer_account_create)
    update, delete = staticmethod(pacer_account_update), staticmethod(pacer_account_delete)

    def has_add_permission(self, request):
        # A PACER account reaches a court through a filer: a court administrator's new account would
        # belong to none of their courts. They come with a roster, or are chosen on the filer's page.
        return request.user.is_superuser and super().has_add_permission(request)


class CourtAdministratorForm(forms.Form):
    """"Add court administrator": the same as the `create_court_administrator` command."""

    email = forms.EmailField(help_text="Also their user name. An existing user with this email is updated.")
    name = forms.CharField(max_length=300, help_text="Their full name.")
    courts = forms.ModelMultipleChoiceField(queryset=None, help_text="The courts they administer (added to any "
                                                                      "they already have).")
    send_link = forms.BooleanField(required=False, initial=True, label="Email them a link to set their password")

    def __init__(self, *args, **kwargs):
        from courts.models import Court

        super().__init__(*args, **kwargs)
        self.fields["courts"].queryset = Court.objects.order_by("name")


@admin.register(CourtAdministrator)
class CourtAdministratorAdmin(CourtScopedAdmin):
    list_display = ("user", "court", "created_at")
    list_filter = (CourtScopedFilter,)
    search_fields = ("user__username", "court__court_id", "court__name")
    list_select_related = ("user", "court")
    actions = ["send_set_password_link"]

    def add_view(self, request, form_url="", extra_context=None):
        """A superuser's "Add": a person and their courts, saved by the service, not a bare row."""
        from django.core.exceptions import PermissionDenied, ValidationError
        from django.http import HttpResponseRedirect
        from django.template.response import TemplateResponse
        from django.urls import reverse

        from accounts.services import court_administrator_save, court_administrator_send_invitation

        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CourtAdministratorForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                saved = court_administrator_save(email=form.cleaned_data["email"], name=form.cleaned_data["name"],
                                                 court_ids=[c.court_id for c in form.cleaned_data["courts"]])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(request, f"{'Created' if saved.created else 'Updated'} "
                                           f"{saved.user.get_username()}.", messages.SUCCESS)
                if form.cleaned_data["send_link"]:
                    self._send_link(request, saved.user, court_administrator_send_invitation)
                return HttpResponseRedirect(reverse("admin:accounts_courtadministrator_changelist"))
        context = {**self.admin_site.each_context(request), "title": "Add court administrator", "form": form,
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/accounts/courtadministrator/add.html", context)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def _send_link(self, request, user, send) -> None:
        try:
            address = send(user)
        except Exception as exc:  # a refused or unreachable mail server: say so, no 500
            self.message_user(request, f"The set-password email to {user.email or user.get_username()} was not "
                                       f"sent: {exc}", messages.ERROR)
        else:
            self.message_user(request, f"Set-password link sent to {address}.", messages.SUCCESS)

    @admin.action(description="Email a link to set their password", permissions=["add"])
    def send_set_password_link(self, request, queryset):
        from accounts.services import court_administrator_send_invitation

        users = {row.user_id: row.user for row in queryset.select_related("user")}
        for user in users.values():
            self._send_link(request, user, court_administrator_send_invitation)


@admin.register(CourtReadinessCount)
class CourtReadinessCountAdmin(ReadOnlyAdmin):
    list_display = ("court_code", "total", "no_pacer", "shared", "legacy", "name_mismatch", "clear", "linked", "link_reported",
                    "upgrade_reported", "refreshed_at")
    list_filter = (CourtScopedFilter,)
    list_select_related = ("court",)
    search_fields = ("court__court_id", "court__name")
    ordering = ("court__court_id",)

    @admin.display(description="court", ordering="court__court_id")
    def court_code(self, obj):
        return obj.court.court_id
