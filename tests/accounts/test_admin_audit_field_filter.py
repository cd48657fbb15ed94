"""The audit trail's "field" filter offers a fixed list of the names the code writes: it reads no values
from the trail (two million rows), and every name any writer records is one of its choices."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import CmecfAccount, Filer, PacerAccount
from accounts.services import cmecf_account_link, cmecf_account_set_name_review
from tests.accounts.admin_helpers import bulk_ready_accounts, live
from tests.factories import court_admin_user, montana_court, superuser

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
CHANGELIST = "admin:accounts_auditentry_changelist"
# The writers of the trail whose second argument is the field's name.
WRITERS = {"audit_record", "audit_record_queryset", "audit_update_queryset", "_bulk_set", "_audit_for_courts"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _field_choices(response) -> set[str]:
    cl = response.context["cl"]
    (spec,) = [s for s in cl.filter_specs if s.title == "field"]
    return {str(c["display"]) for c in spec.choices(cl)} - {"All"}


def _names_in_sql(call: ast.Call) -> set[str]:
    """The quoted names in the SQL of a call that inserts into the trail itself."""
    text = " ".join(n.value for n in ast.walk(call) if isinstance(n, ast.Constant) and isinstance(n.value, str))
    return set(re.findall(r"'([a-z_]+)'", text)) if "INSERT INTO accounts_auditentry" in text else set()


def _names_written_by_the_code() -> dict[str, str]:
    """{field name: where}, for every literal field name a writer of the trail is given."""
    found = {}
    for path in (ROOT / package for package in ("accounts", "courts", "rollout")):
        for source in path.rglob("*.py"):
            if "migrations" in source.parts:
                continue
            for node in ast.walk(ast.parse(source.read_text(), str(source))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                names = set()
                if name in WRITERS and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                    names.add(node.args[1].value)
                for keyword in node.keywords:
                    if keyword.arg == "audited" and isinstance(keyword.value, (ast.Tuple, ast.List)):
                        names |= {e.value for e in keyword.value.elts if isinstance(e, ast.Constant)}
                names |= _names_in_sql(node)
                for n in names:
                    found.setdefault(n, f"{source.relative_to(ROOT)}:{node.lineno}")
    return found


@pytest.mark.parametrize("persona", ["court administrator", "superuser"])
def test_the_field_filter_reads_no_values_from_the_trail(persona):
    court = live(montana_court())
    bulk_ready_accounts(court, 2, "mt")
    cmecf_account_set_name_review(CmecfAccount.objects.first(), "flagged")
    user = court_admin_user("mt-clerk", court) if persona == "court administrator" else superuser()
    with CaptureQueriesContext(connection) as queries:
        response = _client(user).get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"] and '"field"' in q["sql"]]


def test_the_scan_finds_the_writers_it_should():
    """The scan below is worth something only if it sees the known writers."""
    assert {"linked_at", "cmecf_name", "court_attached", "created", "status", "state"} <= set(_names_written_by_the_code())


def test_every_field_name_the_code_writes_is_a_choice():
    choices = _field_choices(_client(superuser()).get(reverse(CHANGELIST)))
    missing = {name: where for name, where in _names_written_by_the_code().items() if name not in choices}
    assert not missing


def test_every_field_staff_can_edit_on_an_audited_record_is_a_choice():
    """Record edits (accounts.services._record_update) audit whichever of the record's fields changed."""
    choices = _field_choices(_client(superuser()).get(reverse(CHANGELIST)))
    editable = {f.name for m in (CmecfAccount, Filer, PacerAccount) for f in m._meta.concrete_fields
                if f.editable and not f.primary_key}
    assert editable <= choices


def test_choosing_a_field_lists_only_its_entries():
    court = live(montana_court())
    bulk_ready_accounts(court, 2, "mt")
    flagged, linked = CmecfAccount.objects.order_by("login")
    cmecf_account_set_name_review(flagged, "flagged")
    cmecf_account_link(linked)
    response = _client(court_admin_user("mt-clerk", court)).get(reverse(CHANGELIST), {"field": "name_review"})
    assert [e.field for e in response.context["cl"].result_list] == ["name_review"]
