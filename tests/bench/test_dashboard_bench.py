"""`manage.py bench_dashboard` seeds what is missing and reports every page it measured."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import CmecfAccount
from tests.factories import CourtFactory, montana_court, utah_court


@pytest.mark.django_db
def test_bench_dashboard_seeds_the_accounts_and_prints_each_page():
    montana_court()
    utah_court()
    CourtFactory(court_id="MTBK", name="Montana Bankruptcy Court", court_type="bankruptcy")
    out = StringIO()
    call_command("bench_dashboard", accounts=200, runs=2, stdout=out)
    text = out.getvalue()
    assert CmecfAccount.objects.count() >= 200
    for page in ("overview", "court page", "upcoming go-lives", "export CSV", "export XLSX"):
        assert page in text
    assert "median ms" in text and "queries" in text


@pytest.mark.django_db
def test_bench_dashboard_reuses_existing_accounts(capsys):
    montana_court()
    CourtFactory(court_id="MTBK", name="Montana Bankruptcy Court", court_type="bankruptcy")
    call_command("bench_dashboard", accounts=50, runs=1, stdout=StringIO())
    before = CmecfAccount.objects.count()
    out = StringIO()
    call_command("bench_dashboard", accounts=50, runs=1, stdout=out)
    assert CmecfAccount.objects.count() == before
    assert "Reusing" in out.getvalue()
