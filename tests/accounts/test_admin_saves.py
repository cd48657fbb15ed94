"""Every readiness input edited on its admin page goes through the services: the stored counts equal a
live recount at once, and the audit trail lists the change (who, field, old, new)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.counts import court_counts_refresh, stored_readiness_counts
from accounts.models import AuditEntry, CmecfAccount, Filer, NameReview, PacerAccountType
from accounts.readiness import Readiness
from accounts.selectors import cmecf_account_readiness, readiness_counts
from tests.accounts.admin_helpers import live
from tests.factories import (
    CmecfAccountFactory, FilerFactory, PacerAccountFactory, court_admin_user, montana_court, utah_court,
)

pytestmark = pytest.mark.django_db


def change_form_data(client, url: str) -> dict:
    """What the change page would post unchanged: the form's current values and every inline's management form."""
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for row in formset.initial_forms:
            for name in row.fields:
                value = row[name].value()
                if value is not None:
                    data[row.add_prefix(name)] = value
    return data


@pytest.fixture
def world(request):
    """A Montana administrator; a filer at Montana only, with a legacy PACER account or (param
    "modern") one ready to link; a spare modern PACER account."""
    court = live(montana_court())
    live(utah_court())
    created = dt.date(2016, 1, 1) if getattr(request, "param", "legacy") == "modern" else dt.date(2010, 1, 1)
    pacer = PacerAccountFactory(username="legacy-pacer", holder_name="Lee Legacy", created_on=created)
    filer = FilerFactory(name="Lee Legacy", email="lee@example.com", pacer_account=pacer)
    account = CmecfAccountFactory(court=court, filer=filer, login="legacylee", cmecf_name="Lee Legacy")
    spare = PacerAccountFactory(username="spare-pacer", holder_name="Lee Legacy", created_on=dt.date(2018, 1, 1))
    court_counts_refresh()
    return {"user": court_admin_user("mt-saver", court), "account": account, "pacer": pacer, "filer": filer,
            "spare": spare}


EDITS = [
    # (world, admin page, record, field, new value as posted, value read back, readiness after)
    ("legacy", "paceraccount", "pacer", "upgraded", "on", True, Readiness.READY),
    ("legacy", "paceraccount", "pacer", "created_on", "2016-05-01", dt.date(2016, 5, 1), Readiness.READY),
    ("legacy", "paceraccount", "pacer", "account_type", PacerAccountType.SHARED, PacerAccountType.SHARED, Readiness.SHARED),
    ("modern", "paceraccount", "pacer", "holder_name", "Someone Else", "Someone Else", Readiness.NAME_MISMATCH),
    ("legacy", "filer", "filer", "pacer_account", "spare", "spare", Readiness.READY),
    ("legacy", "filer", "filer", "new_pacer_username", "brand-new", "brand-new", Readiness.READY),
    ("modern", "cmecfaccount", "account", "cmecf_name", "L. Legacy-Smith", "L. Legacy-Smith", Readiness.NAME_MISMATCH),
    ("modern", "cmecfaccount", "account", "name_review", NameReview.FLAGGED, NameReview.FLAGGED, Readiness.NAME_MISMATCH),
]


@pytest.mark.parametrize("world,page,record,field,posted,expected,state", EDITS, indirect=["world"],
                         ids=[f"{e[1]}.{e[3]}" for e in EDITS])
def test_an_admin_edit_of_a_readiness_input_keeps_counts_and_audit(client, world, page, record, field, posted,
                                                                   expected, state, django_capture_on_commit_callbacks):
    user, obj = world["user"], world[record]
    if posted == "spare":  # a PACER account of another Montana filer
        CmecfAccountFactory(court=world["account"].court, login="sparelogin",
                            filer=FilerFactory(email="spare@example.com", pacer_account=world["spare"]))
        posted = expected = world["spare"].pk
    client.force_login(user)
    url = reverse(f"admin:accounts_{page}_change", args=[obj.pk])
    data = change_form_data(client, url)
    data[field] = posted
    if field == "new_pacer_username":
        data["new_pacer_created_on"] = "2016-01-01"
    assert cmecf_account_readiness(world["account"]) != state
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response

    obj.refresh_from_db()
    if field == "new_pacer_username":  # the new account is created, audited, and becomes the filer's
        field, expected = "pacer_account", "brand-new"
        assert AuditEntry.objects.filter(field="created", new_value="brand-new").exists()
        assert obj.pacer_account.username == expected
    else:
        assert getattr(obj, "pacer_account_id" if field == "pacer_account" else field) == expected
    assert cmecf_account_readiness(world["account"]) == state
    court_id = world["account"].court_id
    assert stored_readiness_counts([court_id]) == readiness_counts(CmecfAccount.objects.filter(court_id=court_id))
    entry = AuditEntry.objects.get(field=field, object_id=obj.pk)
    assert (entry.user, entry.court_id) == (user, world["account"].court_id)
    assert entry.new_value != entry.old_value


def test_a_filer_added_with_their_first_login_is_counted_at_once(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["user"])
    court = world["account"].court
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:accounts_filer_add"), {
            "name": "Nora New", "email": "nora@example.com", "pacer_account": "",
            "cmecf_accounts-TOTAL_FORMS": "1", "cmecf_accounts-INITIAL_FORMS": "0",
            "cmecf_accounts-MIN_NUM_FORMS": "1", "cmecf_accounts-MAX_NUM_FORMS": "1000",
            "cmecf_accounts-0-court": court.pk, "cmecf_accounts-0-login": "noran", "cmecf_accounts-0-cmecf_name": "Nora New",
        })
    assert response.status_code == 302
    assert CmecfAccount.objects.get(login="noran").filer.email == "nora@example.com"
    assert stored_readiness_counts([court.pk])[court.pk]["no_pacer"] == 1
    assert stored_readiness_counts([court.pk]) == readiness_counts(CmecfAccount.objects.filter(court=court))
    assert AuditEntry.objects.filter(field="created", court=court).count() == 2  # the filer and their login


def test_a_court_administrator_cannot_add_a_filer_at_no_court_of_theirs(client, world):
    client.force_login(world["user"])
    response = client.post(reverse("admin:accounts_filer_add"), {
        "name": "Nora New", "email": "nora@example.com", "pacer_account": "",
        "cmecf_accounts-TOTAL_FORMS": "0", "cmecf_accounts-INITIAL_FORMS": "0",
        "cmecf_accounts-MIN_NUM_FORMS": "1", "cmecf_accounts-MAX_NUM_FORMS": "1000",
    })
    assert response.status_code == 200
    assert not Filer.objects.filter(email="nora@example.com").exists()


def test_adding_a_filer_whose_email_is_taken_does_not_say_who_has_it(client, world):
    other = FilerFactory(name="Ursula Utah", email="ursula@example.com")
    CmecfAccountFactory(court=utah_court(), filer=other, login="ursulau")
    client.force_login(world["user"])
    response = client.post(reverse("admin:accounts_filer_add"), {
        "name": "Someone", "email": "ursula@example.com", "pacer_account": "",
        "cmecf_accounts-TOTAL_FORMS": "1", "cmecf_accounts-INITIAL_FORMS": "0",
        "cmecf_accounts-MIN_NUM_FORMS": "1", "cmecf_accounts-MAX_NUM_FORMS": "1000",
        "cmecf_accounts-0-court": world["account"].court_id, "cmecf_accounts-0-login": "someone",
        "cmecf_accounts-0-cmecf_name": "Someone",
    })
    body = response.content.decode()
    assert "Already registered to a filer record" in body
    assert "Ursula" not in body and "ursulau" not in body and "UTDC" not in body
    assert not Filer.objects.filter(name="Someone").exists()


def choose_pacer_account(client, world, account):
    """Lee's page posted with `account` chosen as the PACER account they use."""
    url = reverse("admin:accounts_filer_change", args=[world["filer"].pk])
    client.force_login(world["user"])
    data = change_form_data(client, url)
    data["pacer_account"] = account.pk
    return client.post(url, data)


def test_choosing_another_persons_individual_pacer_account_is_refused(client, world):
    """The roster import refuses to attach a filer to an individual account held by someone else;
    the filer's page must not do it either."""
    held = PacerAccountFactory(username="sampacer", holder_name="Sam Someone", created_on=dt.date(2018, 1, 1))
    CmecfAccountFactory(court=world["account"].court, filer=FilerFactory(name="Sam Someone", pacer_account=held))
    response = choose_pacer_account(client, world, held)
    assert "Already registered to a filer record" in response.content.decode()
    world["filer"].refresh_from_db()
    assert world["filer"].pacer_account == world["pacer"]


def test_choosing_a_pacer_account_a_filer_at_another_court_uses_is_refused(client, world):
    firm = PacerAccountFactory(username="firmpacer", account_type=PacerAccountType.SHARED, holder_name="")
    partner = FilerFactory(name="Pat Partner", pacer_account=firm)
    CmecfAccountFactory(court=world["account"].court, filer=partner, login="patmt")
    CmecfAccountFactory(court=utah_court(), filer=partner, login="patut")
    response = choose_pacer_account(client, world, firm)
    body = response.content.decode()
    assert "Already registered to a filer record" in body and "UTDC" not in body
    world["filer"].refresh_from_db()
    assert world["filer"].pacer_account == world["pacer"]


def test_choosing_a_firm_account_only_the_users_courts_use_is_saved(client, world):
    firm = PacerAccountFactory(username="firmpacer", account_type=PacerAccountType.SHARED, holder_name="")
    CmecfAccountFactory(court=world["account"].court, filer=FilerFactory(name="Pat Partner", pacer_account=firm))
    response = choose_pacer_account(client, world, firm)
    assert response.status_code == 302
    world["filer"].refresh_from_db()
    assert world["filer"].pacer_account == firm


@pytest.mark.parametrize(("page", "record", "field"), [
    ("filer", "filer", "name"), ("cmecfaccount", "account", "cmecf_name"), ("paceraccount", "pacer", "holder_name"),
])
def test_a_control_character_is_refused_naming_the_field(client, world, page, record, field):
    obj = world[record]
    url = reverse(f"admin:accounts_{page}_change", args=[obj.pk])
    client.force_login(world["user"])
    data = change_form_data(client, url)
    data[field] = "Lee\x01Legacy"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "at character 4; no field may hold one" in " ".join(response.context["adminform"].form.errors[field])
    obj.refresh_from_db()
    assert getattr(obj, field) == "Lee Legacy"


def test_a_control_character_in_a_new_login_row_is_refused(client, world):
    client.force_login(world["user"])
    response = client.post(reverse("admin:accounts_filer_add"), {
        "name": "Nora New", "email": "nora@example.com", "pacer_account": "",
        "cmecf_accounts-TOTAL_FORMS": "1", "cmecf_accounts-INITIAL_FORMS": "0",
        "cmecf_accounts-MIN_NUM_FORMS": "1", "cmecf_accounts-MAX_NUM_FORMS": "1000",
        "cmecf_accounts-0-court": world["account"].court.pk, "cmecf_accounts-0-login": "noran",
        "cmecf_accounts-0-cmecf_name": "Nora\tNew",
    })
    assert response.status_code == 200
    assert not CmecfAccount.objects.filter(login="noran").exists()
