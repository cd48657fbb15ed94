"""The admin's import pages: upload → dry run → Apply, each run as a Celery task.

The upload goes to Django's storage under imports/ with a random name (`accounts.imports.jobs`);
the dry run runs as a task and the page follows it (phase, rows read; it reloads itself while the
task runs) until the report shows. The Apply button carries a signed, expiring token naming that
stored file, the court, the kind and the user, so Apply imports exactly the file that was dry-run,
for the same user, never a re-upload; the apply is a task too. The court is checked against the
user's courts again when applying. While the job store cannot be reached (Redis down) each page says
so with a 503 and the upload form, and nothing is imported.
"""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.files.storage import default_storage
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from courts.admin.reauthentication import recent_authentication_required
from courts.admin.scope import request_court_ids, request_courts
from accounts.imports.jobs import (
    KINDS, ImportUnavailable, import_job_get, import_job_report, import_job_start, import_upload_store,
    imports_upload_expiring,
)
from courts.input_checks import megabytes, size_problem
from courts.models import Court

TOKEN_SALT = "accounts.admin.import"
TOKEN_MAX_AGE = 3600


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=[("roster", "Roster of registered filers"), ("link_report", "Link report")])
    court = forms.ModelChoiceField(queryset=Court.objects.none())
    file = forms.FileField(help_text="A CSV file saved as UTF-8 or Windows-1252 (Excel's “CSV UTF-8” or plain “CSV”).")

    def __init__(self, *args, court_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        courts = Court.objects.all() if court_ids is None else Court.objects.filter(pk__in=court_ids)
        # By display name, shown as "name (court id)" (Court.__str__): staff look for their court's name.
        self.fields["court"].queryset = courts.order_by("name", "court_id")
        self.fields["file"].help_text += f" At most {megabytes(settings.IMPORT_MAX_UPLOAD_BYTES)}."

    def clean_file(self):
        upload = self.cleaned_data["file"]
        too_big = size_problem(upload.size, "The file")
        if too_big:
            raise forms.ValidationError(f"{too_big} Nothing was imported.")
        return upload


def _unavailable_page(request, context: dict, exc: ImportUnavailable):
    messages.error(request, str(exc))
    return TemplateResponse(request, "admin/accounts/import.html", context, status=503)


def _job_page(request, job_id: str, context: dict):
    """The page of one job: progress while it runs, then the report (and Apply after a clean dry run)."""
    job = import_job_get(job_id)
    if job is None or job["user_id"] != request.user.pk:
        raise Http404("No such import (it may have expired): upload the file again.")
    # The report compares the file with the court's filers: gone with the court when the user no longer
    # administers it (the job's state and message stay: they name no filer).
    court = request_courts(request).filter(court_id=job["court_id"]).first()
    report = import_job_report(job) if court is not None else None
    # "Upload another file" starts with this job's kind and court (a corrected file, usually).
    context["form"] = ImportForm(initial={"kind": job["kind"], "court": court}, court_ids=request_court_ids(request))
    context.update(job=job, job_id=job_id, running=job["state"] in ("queued", "running"), report=report)
    if job["state"] == "done" and report and report.ok and not job["apply"]:
        context["token"] = signing.dumps(
            {"stored": job["stored"], "name": job["file_name"], "court": job["court_id"], "kind": job["kind"],
             "user": request.user.pk},
            salt=TOKEN_SALT,
        )
    return TemplateResponse(request, "admin/accounts/import.html", context)


def import_view(model_admin):
    @recent_authentication_required(when=lambda request: "token" in request.POST)  # applying, not the dry run
    def view(request):
        if not (model_admin.has_add_permission(request) and model_admin.has_change_permission(request)):
            raise PermissionDenied
        court_ids = request_court_ids(request)
        context = {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
                   "title": "Import a roster or a link report",
                   "changelist_url": reverse("admin:accounts_cmecfaccount_changelist"),
                   "form": ImportForm(court_ids=court_ids)}
        if request.method == "GET" and request.GET.get("job"):
            try:
                return _job_page(request, request.GET["job"], context)
            except ImportUnavailable as exc:
                return _unavailable_page(request, context, exc)
        if request.method == "POST" and "token" in request.POST:
            try:
                data = signing.loads(request.POST["token"], salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
            except signing.BadSignature:
                messages.error(request, "This dry run has expired or is not valid: upload the file again.")
                return redirect(request.path)
            if data["user"] != request.user.pk or data["kind"] not in KINDS:
                raise PermissionDenied
            if not default_storage.exists(data["stored"]):
                # Applied already (a second click, a replayed form) or removed: say so, never the path.
                messages.error(request, "Nothing imported: this dry run's file was already applied or has been "
                                        "removed. Upload the file again.")
                return redirect(request.path)
            if imports_upload_expiring(data["stored"]):
                # The hourly clean-up would remove it while the apply waits for a worker.
                messages.error(request, "Nothing imported: this dry run is nearly a day old and its file is about "
                                        "to be removed. Upload the file again.")
                return redirect(request.path)
            try:
                job_id = import_job_start(kind=data["kind"], court_id=data["court"], stored=data["stored"],
                                          file_name=data["name"], user_id=request.user.pk, apply=True,
                                          allowed_court_ids=court_ids)
            except ImportUnavailable as exc:  # the dry run's file stays: its Apply can be pressed again
                return _unavailable_page(request, context, exc)
            return redirect(f"{request.path}?job={job_id}")
        form = ImportForm(request.POST or None, request.FILES or None, court_ids=court_ids)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            stored = import_upload_store(upload)
            try:
                job_id = import_job_start(kind=form.cleaned_data["kind"], court_id=form.cleaned_data["court"].court_id,
                                          stored=stored, file_name=upload.name,
                                          user_id=request.user.pk, apply=False, allowed_court_ids=court_ids)
            except ImportUnavailable as exc:
                default_storage.delete(stored)  # no job will ever name it
                context["form"] = form
                return _unavailable_page(request, context, exc)
            return redirect(f"{request.path}?job={job_id}")
        context["form"] = form
        return TemplateResponse(request, "admin/accounts/import.html", context)

    return view
