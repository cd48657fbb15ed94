"""The admin's import pages run each dry run and apply as a Celery task (a real worker here), on a
file kept in Django's storage, and show progress then the report; Apply carries a signed token."""
from __future__ import annotations

import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.imports.jobs import import_job_get, import_job_run, imports_remove_stale
from accounts.models import CmecfAccount
from tests.factories import court_administrators_group
from tests.accounts.admin_helpers import live, montana_clerk, montana_court, utah_court
from tests.conftest import cache_make_unreachable, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]

ROSTER = (b"name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n"
          b"Ann Able,ann@example.com,aable,annable,2016-05-01,no,no\n"
          b"Bob Baker,bob@example.com,bbaker,bobbaker,2017-01-02,no,no\n")
BAD_ROSTER = ROSTER + b"Cy Cole,not-an-email,ccole,,,no,no\n"
URL = "admin:accounts_cmecfaccount_import"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clerk(client):
    court_administrators_group()
    live(montana_court())
    live(utah_court())
    client.force_login(montana_clerk())
    return client


def upload(client, content=ROSTER, court=None):
    court = court or montana_court()
    response = client.post(reverse(URL), {"kind": "roster", "court": court.pk,
                                          "file": SimpleUploadedFile("roster.csv", content)})
    assert response.status_code == 302, response.content[:500]
    return response["Location"].split("job=")[1]


def finished(client, job_id):
    """Follow the job's page (as the browser's refresh does) until the task is done."""
    def page():
        response = client.get(reverse(URL), {"job": job_id})
        return response if not response.context["running"] else None
    return wait_for(page, what=f"import job {job_id}")


def stored_files():
    try:
        return default_storage.listdir("imports")[1]
    except FileNotFoundError:
        return []


def test_dry_run_runs_as_a_task_and_changes_nothing(clerk, celery_worker):
    job_id = upload(clerk)
    response = finished(clerk, job_id)
    report = response.context["report"]
    assert (report.rows, report.created, report.applied) == (2, 2, False)
    assert response.context["token"]
    assert not CmecfAccount.objects.filter(login__in=["aable", "bbaker"]).exists()
    assert len(stored_files()) == 1  # kept for the Apply


def test_running_job_page_refreshes_itself_and_shows_phase_and_rows(clerk):
    job_id = upload(clerk)  # no worker: the job waits
    response = clerk.get(reverse(URL), {"job": job_id})
    html = response.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in html
    assert "rows read so far" in html and "Waiting for a worker" in html


def test_apply_imports_exactly_the_checked_file_and_removes_it(clerk, celery_worker):
    response = finished(clerk, upload(clerk))
    applied = clerk.post(reverse(URL), {"token": response.context["token"]})
    assert applied.status_code == 302
    done = finished(clerk, applied["Location"].split("job=")[1])
    assert done.context["report"].applied is True
    assert "Applied: 2 rows" in done.content.decode()
    assert set(CmecfAccount.objects.filter(court=montana_court()).values_list("login", flat=True)) == {"aable", "bbaker"}
    assert stored_files() == []


def test_bad_rows_are_listed_with_their_line_and_no_apply_is_offered(clerk, celery_worker):
    response = finished(clerk, upload(clerk, BAD_ROSTER))
    report = response.context["report"]
    assert report.error_count == 1 and report.errors[0].line == 4
    assert "token" not in response.context
    assert stored_files() == []


def test_a_tampered_token_applies_nothing(clerk, celery_worker):
    response = finished(clerk, upload(clerk))
    applied = clerk.post(reverse(URL), {"token": response.context["token"] + "x"}, follow=True)
    assert "expired or is not valid" in applied.content.decode()
    assert not CmecfAccount.objects.filter(login="aable").exists()


def test_another_users_token_is_refused(clerk, client, celery_worker, django_user_model):
    response = finished(clerk, upload(clerk))
    token = response.context["token"]
    other = django_user_model.objects.create_superuser("other-admin", "o@example.com", "x")
    client.force_login(other)
    assert client.post(reverse(URL), {"token": token}).status_code == 403
    assert not CmecfAccount.objects.filter(login="aable").exists()


def test_another_users_job_page_is_not_shown(clerk, client, django_user_model):
    job_id = upload(clerk)
    client.force_login(django_user_model.objects.create_superuser("other-admin", "o@example.com", "x"))
    assert client.get(reverse(URL), {"job": job_id}).status_code == 404


def test_a_dry_runs_report_is_not_shown_once_the_user_no_longer_administers_the_court(clerk):
    """The report lists the court's filers, line by line."""
    from accounts.models import CourtAdministrator

    job_id = upload(clerk, ROSTER.replace(b"ann@example.com", b"not-an-address"))
    import_job_run(job_id)
    assert clerk.get(reverse(URL), {"job": job_id}).context["report"] is not None
    CourtAdministrator.objects.filter(court=montana_court()).delete()
    response = clerk.get(reverse(URL), {"job": job_id})
    assert response.context["report"] is None and "Ann Able" not in response.content.decode()


def test_apply_is_refused_once_the_user_no_longer_administers_the_court(clerk, celery_worker):
    from accounts.models import CourtAdministrator

    response = finished(clerk, upload(clerk))
    CourtAdministrator.objects.filter(court=montana_court()).delete()
    applied = clerk.post(reverse(URL), {"token": response.context["token"]})
    done = finished(clerk, applied["Location"].split("job=")[1])
    assert "do not administer" in done.content.decode()
    assert not CmecfAccount.objects.filter(login="aable").exists()


def test_progress_phases_reach_the_job(clerk, celery_worker):
    job_id = upload(clerk)
    finished(clerk, job_id)
    job = import_job_get(job_id)
    assert (job["state"], job["phase"], job["rows"]) == ("done", "done", 2)


def test_uploads_older_than_a_day_are_removed_and_newer_ones_kept(settings):
    settings.IMPORTS_KEEP_UNAPPLIED_SECONDS = 24 * 3600
    old = default_storage.save("imports/old.csv", ContentFile(b"x"))
    new = default_storage.save("imports/new.csv", ContentFile(b"x"))
    day_ago = time.time() - 25 * 3600
    os.utime(default_storage.path(old), (day_ago, day_ago))
    assert imports_remove_stale() == 1
    assert stored_files() == ["new.csv"]
    assert new == "imports/new.csv"


# --- Redis down: a message and nothing imported, never a 500 ------------------------------------------

def test_an_upload_the_job_store_cannot_record_is_refused_with_a_message_and_not_kept(clerk, unreachable_cache):
    response = clerk.post(reverse(URL), {"kind": "roster", "court": montana_court().pk,
                                         "file": SimpleUploadedFile("roster.csv", ROSTER)})
    assert response.status_code == 503
    assert "Imports cannot run just now" in response.content.decode()
    assert stored_files() == []


def test_a_job_page_the_job_store_cannot_show_says_so_with_the_upload_form(clerk, settings):
    job_id = upload(clerk)
    cache_make_unreachable(settings)  # Redis gone since the upload
    response = clerk.get(reverse(URL), {"job": job_id})
    assert response.status_code == 503
    html = response.content.decode()
    assert "Imports cannot run just now" in html and 'value="Dry run"' in html


def test_an_apply_the_job_store_cannot_record_is_refused_and_its_dry_run_kept(clerk, celery_worker, settings):
    token = finished(clerk, upload(clerk)).context["token"]
    cache_make_unreachable(settings)  # Redis gone since the dry run
    response = clerk.post(reverse(URL), {"token": token})
    assert response.status_code == 503 and "Nothing was imported" in response.content.decode()
    assert not CmecfAccount.objects.filter(login="aable").exists()
    assert len(stored_files()) == 1  # Apply can be pressed again once Redis is back


def test_a_job_the_broker_will_not_take_is_shown_failed_not_left_waiting(clerk, unreachable_broker):
    response = clerk.get(reverse(URL), {"job": upload(clerk)})
    assert response.context["running"] is False
    assert "could not be handed to a worker" in response.content.decode()


def test_an_apply_of_a_dry_run_whose_file_is_about_to_be_removed_is_refused(clerk, celery_worker, settings):
    """The Apply button comes back with every view of the dry run's page; pressed at hour 23, the
    hourly clean-up would remove the file while the apply waits, and the job would fail as "already
    applied". It is refused at once, saying why, with nothing imported."""
    settings.IMPORTS_KEEP_UNAPPLIED_SECONDS = 24 * 3600
    response = finished(clerk, upload(clerk))
    (stored,) = stored_files()
    nearly_a_day = time.time() - 23 * 3600
    os.utime(default_storage.path(f"imports/{stored}"), (nearly_a_day, nearly_a_day))
    applied = clerk.post(reverse(URL), {"token": response.context["token"]}, follow=True)
    assert "nearly a day old" in applied.content.decode()
    assert not CmecfAccount.objects.filter(login="aable").exists()


def test_an_apply_redelivered_after_it_committed_says_it_was_applied_and_does_not_run_again(clerk):
    """The worker stopped after the apply's commit (the job's phase says "recounting"); the broker
    hands the task over again. Run again, it would report every row "unchanged" as if nothing had
    been done."""
    from accounts.imports.jobs import _job_update, import_job_run, import_job_start, import_upload_store

    stored = import_upload_store(ContentFile(ROSTER, name="roster.csv"))
    from django.contrib.auth import get_user_model

    job_id = import_job_start(kind="roster", court_id="MTDC", stored=stored, file_name="roster.csv",
                              user_id=get_user_model().objects.get(username="mt-clerk").pk, apply=True,
                              allowed_court_ids=None)
    _job_update(job_id, state="running", phase="recounting")
    import_job_run(job_id)
    page = clerk.get(reverse(URL), {"job": job_id}).content.decode()
    assert "The file was applied, but the worker stopped" in page and "Nothing imported" not in page
    assert not CmecfAccount.objects.filter(login="aable").exists()  # not run again (the commit was simulated)
    assert stored_files() == []


def _job_left_running(phase: str, apply: bool, minutes_ago: int) -> str:
    """A job as a run killed at the task's hard time limit leaves it: "running", last moved long ago."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.utils import timezone

    from accounts.imports.jobs import _job_update, _key, import_job_start, import_upload_store

    stored = import_upload_store(ContentFile(ROSTER, name="roster.csv"))
    job_id = import_job_start(kind="roster", court_id="MTDC", stored=stored, file_name="roster.csv",
                              user_id=get_user_model().objects.get(username="mt-clerk").pk, apply=apply,
                              allowed_court_ids=None)
    job = _job_update(job_id, state="running", phase=phase)
    cache.set(_key(job_id), {**job, "moved": (timezone.now() - dt.timedelta(minutes=minutes_ago)).isoformat()})
    return job_id


def test_an_import_killed_at_its_time_limit_ends_failed_on_its_page_instead_of_running_for_ever(clerk):
    job_id = _job_left_running("reading", apply=True, minutes_ago=52)
    response = clerk.get(reverse(URL), {"job": job_id})
    page = response.content.decode()
    assert not response.context["running"]
    assert "The import stopped before it finished" in page and 'http-equiv="refresh"' not in page


def test_an_apply_killed_after_its_commit_says_it_was_applied(clerk):
    job_id = _job_left_running("recounting", apply=True, minutes_ago=52)
    page = clerk.get(reverse(URL), {"job": job_id}).content.decode()
    assert "The file was applied, but the worker stopped" in page


def test_an_import_that_moved_within_the_time_limit_is_still_running(clerk):
    job_id = _job_left_running("reading", apply=False, minutes_ago=45)
    assert import_job_get(job_id)["state"] == "running"
