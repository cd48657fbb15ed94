"""Factories and the named personas the tests share."""
from __future__ import annotations

import unicodedata

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from accounts.models import CmecfAccount, CourtAdministrator, Filer, PacerAccount, PacerAccountType
from courts.models import Court, CourtType, GoLive, GoLiveStatus
from courts.selectors import rollout_current


class CourtFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Court
        django_get_or_create = ("court_id",)

    court_id = factory.Sequence(lambda n: f"T{n:03d}DC")
    cmecf_code = factory.LazyAttribute(lambda o: o.court_id[:-2].lower() + "d")
    name = factory.LazyAttribute(lambda o: f"Test District {o.court_id}")
    court_type = CourtType.DISTRICT
    circuit = "09"
    state = "Montana"
    time_zone = "America/Denver"
    login_url = factory.LazyAttribute(lambda o: f"https://ecf.{o.cmecf_code}.uscourts.gov")
    help_desk_phones = factory.LazyFunction(lambda: ["866-463-4052"])


class GoLiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GoLive
        django_get_or_create = ("court", "rollout")
        skip_postgeneration_save = True

    court = factory.SubFactory(CourtFactory)
    rollout = factory.LazyFunction(rollout_current)
    status = GoLiveStatus.SCHEDULED
    go_live_date = dt.date(2021, 9, 27)
    reminder_days_after = factory.LazyFunction(lambda: [7, 14, 30])

    @factory.post_generation
    def set_live_at(obj, create, extracted, **kwargs):
        obj.live_at = obj.compute_live_at()
        if create:
            obj.save(update_fields=["live_at"])


class PacerAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PacerAccount
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"pacer{n}")
    account_type = PacerAccountType.INDIVIDUAL
    holder_name = "John Q. Attorney"
    created_on = dt.date(2016, 5, 1)
    upgraded = False


class FilerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Filer
        django_get_or_create = ("email",)

    name = "John Q. Attorney"
    email = factory.Sequence(lambda n: f"filer{n}@example.com")
    pacer_account = factory.SubFactory(PacerAccountFactory, holder_name=factory.SelfAttribute("..name"))


class CmecfAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CmecfAccount
        django_get_or_create = ("court", "login")

    filer = factory.SubFactory(FilerFactory)
    court = factory.SubFactory(CourtFactory)
    login = factory.Sequence(lambda n: f"attornjq{n}")
    cmecf_name = factory.LazyAttribute(lambda o: o.filer.name)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or "correct horse battery staple")
        if create:
            obj.save(update_fields=["password"])


# --- Personas --------------------------------------------------------------------------------------

def montana_court() -> Court:
    return CourtFactory(court_id="MTDC", cmecf_code="mtd", name="District of Montana", state="Montana",
                        time_zone="America/Denver", circuit="09", login_url="https://ecf.mtd.uscourts.gov")


def utah_court() -> Court:
    return CourtFactory(court_id="UTDC", cmecf_code="utd", name="District of Utah", state="Utah",
                        time_zone="America/Denver", circuit="10", login_url="https://ecf.utd.uscourts.gov",
                        help_desk_phones=["801-524-6100"])


def guam_court() -> Court:
    return CourtFactory(court_id="GUDC", cmecf_code="gud", name="District Court of Guam", state="Guam",
                        time_zone="Pacific/Guam", circuit="09", login_url="https://ecf.gud.uscourts.gov")


def montana_administrator():
    """A court administrator (staff, in the "Court administrators" group) of the District of Montana only."""
    return court_admin_user("montana-admin", montana_court(), email="clerk@mtd.example.gov")


def utah_filer_with_legacy_account() -> CmecfAccount:
    """Jane Q. Lawyer files in Utah; her individual PACER account dates from 2009 and was never upgraded."""
    pacer = PacerAccountFactory(username="jqlawyer", holder_name="Jane Q. Lawyer", created_on=dt.date(2009, 3, 2))
    filer = FilerFactory(name="Jane Q. Lawyer", email="jane.lawyer@example.com", pacer_account=pacer)
    court = utah_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2020, 2, 1), status=GoLiveStatus.LIVE)
    return CmecfAccountFactory(filer=filer, court=court, login="lawyerjq", cmecf_name="Jane Q. Lawyer")


def court_administrators_group():
    """The "Court administrators" group with what every app grants it (post_migrate makes it after a
    flush too; this makes a test independent of that)."""
    from accounts.permissions import ACCOUNTS_AND_COURTS, court_administrators_grant
    from rollout.apps import NOTICE_PERMISSIONS

    return court_administrators_grant({**ACCOUNTS_AND_COURTS, **NOTICE_PERMISSIONS})


def court_admin_user(username: str, *courts: Court, email: str | None = None):
    """A staff user in the "Court administrators" group who administers `courts` (for the admin)."""
    user = UserFactory(username=username, email=email or f"{username}@courts.example.gov")
    user.groups.add(court_administrators_group())
    for court in courts:
        CourtAdministrator.objects.get_or_create(user=user, court=court)
    return user


def superuser(username: str = "coordinator"):
    """A rollout coordinator who sees every court."""
    return UserFactory(username=username, is_superuser=True, email=f"{username}@example.gov")


# --- Dashboard personas (rollout dashboard) ------------------------------------------------------

def utah_administrator():
    """A court administrator of the District of Utah only."""
    return court_admin_user("utah-admin", utah_court(), email="clerk@utd.example.gov")


def court_with_accounts(court: Court, *, live_on: dt.date | None, per_state: int = 1,
                        linked_at: list[dt.datetime] | None = None, status: str | None = None) -> Court:
    """Give `court` a go-live (live from `live_on`, or scheduled a year ahead when None) and
    `per_state` CM/ECF accounts in each readiness state, plus one linked account per `linked_at`.
    Call `accounts.counts.court_counts_refresh()` afterwards to store the counts."""
    day = live_on or dt.date.today() + dt.timedelta(days=365)
    GoLiveFactory(court=court, go_live_date=day, status=status or (GoLiveStatus.LIVE if live_on else GoLiveStatus.SCHEDULED))
    tag = court.court_id.lower()
    for i in range(per_state):
        good = PacerAccountFactory(username=f"{tag}-good-{i}", holder_name=f"Ready Filer {tag} {i}")
        CmecfAccountFactory(court=court, login=f"{tag}ready{i}", cmecf_name=f"Ready Filer {tag} {i}",
                            filer=FilerFactory(name=f"Ready Filer {tag} {i}", email=f"ready.{tag}.{i}@example.com", pacer_account=good))
        legacy = PacerAccountFactory(username=f"{tag}-legacy-{i}", holder_name=f"Legacy Filer {tag} {i}", created_on=dt.date(2009, 1, 5))
        CmecfAccountFactory(court=court, login=f"{tag}legacy{i}", cmecf_name=f"Legacy Filer {tag} {i}",
                            filer=FilerFactory(name=f"Legacy Filer {tag} {i}", email=f"legacy.{tag}.{i}@example.com", pacer_account=legacy))
        CmecfAccountFactory(court=court, login=f"{tag}nopacer{i}", cmecf_name=f"No Pacer {tag} {i}",
                            filer=FilerFactory(name=f"No Pacer {tag} {i}", email=f"nopacer.{tag}.{i}@example.com", pacer_account=None))
    for i, when in enumerate(linked_at or []):
        pacer = PacerAccountFactory(username=f"{tag}-linked-{i}", holder_name=f"Linked Filer {tag} {i}")
        CmecfAccountFactory(court=court, login=f"{tag}linked{i}", cmecf_name=f"Linked Filer {tag} {i}", linked_at=when,
                            filer=FilerFactory(name=f"Linked Filer {tag} {i}", email=f"linked.{tag}.{i}@example.com", pacer_account=pacer))
    return court


# --- Notices personas ------------------------------------------------------------------------------

def hawaii_court() -> Court:
    return CourtFactory(court_id="HIDC", cmecf_code="hid", name="District of Hawaii", state="Hawaii",
                        time_zone="Pacific/Honolulu", circuit="09", login_url="https://ecf.hid.uscourts.gov",
                        help_desk_phones=["808-541-1300"])


def eastern_court() -> Court:
    return CourtFactory(court_id="MDDC", cmecf_code="mdd", name="District of Maryland", state="Maryland",
                        time_zone="America/New_York", circuit="04", login_url="https://ecf.mdd.uscourts.gov",
                        help_desk_phones=["410-962-2600"])


def filer_at(court: Court, *, name: str = "John Q. Attorney", email: str | None = None, state: str = "ready",
             login: str | None = None) -> CmecfAccount:
    """A filer with one CM/ECF login at `court`, set up to be in readiness `state`:
    ready (individual, modern, names match), legacy, shared, no_pacer or name_mismatch."""
    n = CmecfAccount.objects.count() + Filer.objects.count()
    # An ASCII local part from the first name (a non-ASCII local part is undeliverable without SMTPUTF8).
    first = unicodedata.normalize("NFKD", name.split()[0]).encode("ascii", "ignore").decode().lower() or "filer"
    email = email or f"{first}.{court.court_id.lower()}.{n}@example.com"
    if state == "no_pacer":
        filer = FilerFactory(name=name, email=email, pacer_account=None)
    else:
        pacer = PacerAccountFactory(
            username=f"p-{email}", holder_name="Baker & Hall LLP" if state == "shared" else name,
            account_type=PacerAccountType.SHARED if state == "shared" else PacerAccountType.INDIVIDUAL,
            created_on=dt.date(2009, 3, 2) if state == "legacy" else dt.date(2016, 5, 1),
        )
        filer = FilerFactory(name=name, email=email, pacer_account=pacer)
    cmecf_name = "Someone Else" if state == "name_mismatch" else name
    return CmecfAccountFactory(filer=filer, court=court, login=login or f"l{n}{court.court_id.lower()}",
                               cmecf_name=cmecf_name)
