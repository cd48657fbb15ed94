"""A name's comparison key fits its column even when the name's characters grow under the key's
normalisation ("ﷺ" becomes 18 characters, "ß" two): the roster, the admin pages and the import job
all store such a name; and an import job that fails for any reason ends "failed" with a message."""
from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core.files.base import ContentFile
from django.db import DataError
from django.urls import reverse

from accounts.imports import jobs
from accounts.imports.jobs import import_job_get, import_job_run, import_job_start
from accounts.imports.roster import name_key, roster_import
from accounts.models import CmecfAccount, PacerAccount, normalize_name
from tests.accounts.admin_helpers import live
from tests.accounts.test_admin_saves import change_form_data
from tests.factories import filer_at, montana_court, superuser

pytestmark = pytest.mark.django_db

LIGATURE = "ﷺ" * 12  # 12 characters; NFKD makes each one 18
ESZETT = "ß" * 150  # 150 characters; upper-cased, each one is "SS"
NAME_KEY_LENGTH = CmecfAccount._meta.get_field("name_key").max_length  # 200, as PacerAccount's
HEADER = "name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n"


@pytest.mark.parametrize("name", [LIGATURE, ESZETT, "A" * 200, "ß" * 99 + "x", "Ann " * 50])
def test_a_key_is_never_longer_than_its_column_and_the_roster_computes_the_same_key(name):
    assert PacerAccount._meta.get_field("name_key").max_length == NAME_KEY_LENGTH
    key = normalize_name(name)
    assert 0 < len(key) <= NAME_KEY_LENGTH
    assert name_key(name) == key


def test_a_roster_row_whose_name_key_grows_past_the_column_is_applied(tmp_path):
    court = live(montana_court())
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + f"{LIGATURE},a@example.com,log1,pu1,2016-05-01,no,no\n"
                             f"{ESZETT},b@example.com,log2,pu2,2016-05-01,no,no\n", encoding="utf-8")
    assert roster_import(court, path, apply=False, today=dt.date(2026, 1, 15)).ok
    report = roster_import(court, path, apply=True, today=dt.date(2026, 1, 15))
    assert report.applied and report.created == 2
    ligature = CmecfAccount.objects.select_related("filer__pacer_account").get(login="log1")
    assert ligature.cmecf_name == LIGATURE and ligature.name_key == normalize_name(LIGATURE)
    assert ligature.filer.pacer_account.name_key == ligature.name_key  # the names still match
    assert PacerAccount.objects.get(username="pu2").name_key == normalize_name(ESZETT)


def test_the_admin_saves_a_cmecf_name_and_a_holder_name_whose_key_grows(client):
    court = live(montana_court())
    account = filer_at(court)
    client.force_login(superuser())
    url = reverse("admin:accounts_cmecfaccount_change", args=[account.pk])
    response = client.post(url, {**change_form_data(client, url), "cmecf_name": LIGATURE, "_save": "Save"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.cmecf_name == LIGATURE and len(account.name_key) == NAME_KEY_LENGTH

    pacer = account.filer.pacer_account
    url = reverse("admin:accounts_paceraccount_change", args=[pacer.pk])
    response = client.post(url, {**change_form_data(client, url), "holder_name": ESZETT, "_save": "Save"})
    assert response.status_code == 302
    pacer.refresh_from_db()
    assert pacer.holder_name == ESZETT and pacer.name_key == "SS" * 100


def test_an_import_job_that_fails_unexpectedly_ends_failed_with_a_plain_message(monkeypatch, caplog, tmp_path,
                                                                                  settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    court = live(montana_court())
    stored = jobs.import_upload_store(ContentFile((HEADER + "Ann,a@example.com,l1,,,no,no\n").encode()))

    def broken(*args, **kwargs):
        raise DataError("value too long for type character varying(200)")

    monkeypatch.setitem(jobs.KINDS, "roster", broken)
    job_id = import_job_start(kind="roster", court_id=court.court_id, stored=stored, file_name="roster.csv",
                              user_id=superuser().pk, apply=True, allowed_court_ids=None)
    with caplog.at_level(logging.ERROR, logger="accounts.imports.jobs"):
        import_job_run(job_id)
    job = import_job_get(job_id)
    assert (job["state"], job["phase"]) == ("failed", "done")
    assert "Nothing was imported" in job["error"] and "varying" not in job["error"]
    assert "import failed" in caplog.text and "DataError" in caplog.text  # the traceback, for the log only
    assert not CmecfAccount.objects.exists()
