"""The admin's import pages: upload → dry run → Apply.

The upload is kept under var/imports/ with a random name; the Apply button carries a signed,
expiring token naming that file, the court, the kind and the user, so Apply imports exactly the file
that was dry-run, for the same user, never a re-upload. The court is checked against the user's
courts again when applying.
"""
from __future__ import annotations

import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.admin.scope import request_court_ids
from accounts.imports.link_report import link_report_import
from accounts.imports.reading import ImportError_
from accounts.imports.roster import roster_import
from courts.input_checks import megabytes, size_problem
from courts.models import Court

KINDS = {"roster": roster_import, "link_report": link_report_import}
TOKEN_SALT = "accounts.admin.import"
TOKEN_MAX_AGE = 3600


def imports_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=[("roster", "Roster of registered filers"), ("link_report", "Link report")])
    court = forms.ModelChoiceField(queryset=Court.objects.none())
    file = forms.FileField(help_text="CSV, UTF-8 (with or without BOM) or Windows-1252.")

    def __init__(self, *args, court_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        courts = Court.objects.all() if court_ids is None else Court.objects.filter(pk__in=court_ids)
        self.fields["court"].queryset = courts.order_by("court_id")
        self.fields["file"].help_text += f" At most {megabytes(settings.IMPORT_MAX_UPLOAD_BYTES)}."

    def clean_file(self):
        upload = self.cleaned_data["file"]
        too_big = size_problem(upload.size, "The file")
        if too_big:
            raise forms.ValidationError(f"{too_big} Nothing was imported.")
        return upload


def import_view(model_admin):
    def view(request):
        if not (model_admin.has_add_permission(request) and model_admin.has_change_permission(request)):
            raise PermissionDenied
        court_ids = request_court_ids(request)
        context = {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
                   "title": "Import a roster or a link report"}
        changelist = reverse("admin:accounts_cmecfaccount_changelist")
        if request.method == "POST" and "token" in request.POST:
            try:
                data = signing.loads(request.POST["token"], salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
            except signing.BadSignature:
                messages.error(request, "This dry run has expired or is not valid: upload the file again.")
                return redirect(request.path)
            if data["user"] != request.user.pk or data["kind"] not in KINDS:
                raise PermissionDenied
            path = imports_dir() / data["stored"]
            if not path.is_file():
                # Applied already (a second click, a replayed form) or removed: say so, never the path.
                messages.error(request, "Nothing imported: this dry run's file was already applied or has been "
                                        "removed. Upload the file again.")
                return redirect(request.path)
            try:
                report = KINDS[data["kind"]](data["court"], path, apply=True, by=request.user,
                                             file_name=data["name"], allowed_court_ids=court_ids)
            except ImportError_ as exc:
                messages.error(request, f"Nothing imported: {exc}")
                return redirect(request.path)
            if report.applied:
                path.unlink(missing_ok=True)
                messages.success(request, f"{report.file_name}: {report.summary()}")
                return redirect(changelist)
            context.update(report=report, form=ImportForm(court_ids=court_ids))
            return TemplateResponse(request, "admin/accounts/import.html", context)
        form = ImportForm(request.POST or None, request.FILES or None, court_ids=court_ids)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            stored = f"{uuid.uuid4().hex}.csv"
            with open(imports_dir() / stored, "wb") as handle:
                for piece in upload.chunks():
                    handle.write(piece)
            court = form.cleaned_data["court"]
            kind = form.cleaned_data["kind"]
            try:
                report = KINDS[kind](court, imports_dir() / stored, apply=False, file_name=upload.name,
                                     allowed_court_ids=court_ids)
            except ImportError_ as exc:
                (imports_dir() / stored).unlink(missing_ok=True)
                form.add_error("file", str(exc))
            else:
                context["report"] = report
                if report.ok:
                    context["token"] = signing.dumps(
                        {"stored": stored, "name": upload.name, "court": court.court_id, "kind": kind,
                         "user": request.user.pk},
                        salt=TOKEN_SALT,
                    )
                else:
                    (imports_dir() / stored).unlink(missing_ok=True)
        context["form"] = form
        return TemplateResponse(request, "admin/accounts/import.html", context)

    return view
