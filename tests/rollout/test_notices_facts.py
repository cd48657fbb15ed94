"""Every notice kind × every readiness state a filer can be in when it goes out: each required fact is
in the text part and in the HTML part (the courts' linking procedure, whole; the fix for the filer's
state; the blackout with instructions that give what they refer to)."""
import datetime as dt
import html as html_lib
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.readiness import Readiness
from courts.models import GoLiveChange, GoLiveStatus
from rollout.notices.models import NoticeDelivery, NoticeKind
from rollout.notices.messages import MessageBuilder
from rollout.notices.rendering import REGISTER_URL, UPGRADE_URL, format_day
from tests.factories import GoLiveFactory, filer_at, utah_court

pytestmark = pytest.mark.django_db

STATES = [s for s in Readiness.values if s not in (Readiness.LINKED, Readiness.WAITING)]
GO_LIVE = dt.date(2030, 3, 4)
PHONE = "801-524-6100"

LINKING_PROCEDURE = [  # from the courts' notices (shared/domain): the whole procedure, not its start
    "https://ecf.utd.uscourts.gov", "once", "permanent", "Utilities", "Link a CM/ECF account to my PACER account",
    "NextGen Release 1.1 Menu Items", "match", "Refresh", "log out", "clear cookies", "Civil and Criminal menus",
    "PACER account only",
]
FIX_FOR_STATE = {
    Readiness.NO_PACER: ["no individual PACER account", REGISTER_URL],
    Readiness.SHARED: ["shared firm", REGISTER_URL],
    Readiness.LEGACY: ["legacy account", "August 11, 2014", UPGRADE_URL],
    Readiness.NAME_MISMATCH: ["do not match", PHONE],
    Readiness.READY: [],
}
INSTRUCTIONS = "Email emergency filings to emergency@utd.uscourts.gov."
KIND_FACTS = {
    NoticeKind.PREPARE: [format_day(GO_LIVE), "Central Sign-On", "individual PACER account", "legacy account",
                         "only after the court is live", "pauses", INSTRUCTIONS, "never asks for your PACER"],
    NoticeKind.GOLIVE: [format_day(GO_LIVE), *LINKING_PROCEDURE, PHONE],
    NoticeKind.REMINDER: [format_day(GO_LIVE), *LINKING_PROCEDURE, PHONE, "/notices/unsubscribe/"],
    NoticeKind.DATE_CHANGED: [format_day(GO_LIVE - dt.timedelta(days=14)), format_day(GO_LIVE), "pause",
                              INSTRUCTIONS, PHONE],
}
FACTS_FOR_STATE_IN = (NoticeKind.PREPARE, NoticeKind.GOLIVE, NoticeKind.REMINDER)


def plain(html: str) -> str:
    """The HTML part's words, with each link's address kept (a fact may be in an href)."""
    html = re.sub(r"<a\s[^>]*href=\"([^\"]*)\"[^>]*>", r" \1 ", html)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def message_for(kind: str, state: str):
    court = utah_court()
    golive = GoLiveFactory(court=court, go_live_date=GO_LIVE, status=GoLiveStatus.SCHEDULED,
                           blackout_start=court.local_midnight(GO_LIVE) - dt.timedelta(hours=31),
                           blackout_end=court.local_midnight(GO_LIVE) + dt.timedelta(hours=8),
                           emergency_filing_instructions=INSTRUCTIONS)
    account = filer_at(court, state=state)
    change = None
    if kind == NoticeKind.DATE_CHANGED:
        change = GoLiveChange.objects.create(golive=golive, old_date=GO_LIVE - dt.timedelta(days=14), new_date=GO_LIVE,
                                             old_status=GoLiveStatus.SCHEDULED, new_status=GoLiveStatus.SCHEDULED)
    row = NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind=kind,
                                        notice=f"{kind}_test", change=change)
    now = court.local_midnight(GO_LIVE) + dt.timedelta(days=8 if kind == NoticeKind.REMINDER else -20)
    message = MessageBuilder(now).build(
        NoticeDelivery.objects.select_related("filer", "court", "golive", "change").get(id=row.id), state)
    return message.body, plain(message.alternatives[0][0])


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind", list(KIND_FACTS))
def test_each_notice_gives_every_required_fact_for_each_readiness_state(kind, state):
    text, html = message_for(kind, state)
    required = KIND_FACTS[kind] + (FIX_FOR_STATE[state] if kind in FACTS_FOR_STATE_IN else [])
    flat_text = " ".join(text.split())
    for fact in required:
        assert fact in flat_text, f"{kind}/{state}: text part lacks {fact!r}"
        assert fact in html, f"{kind}/{state}: HTML part lacks {fact!r}"


def test_instructions_that_mention_an_address_they_do_not_give_are_refused():
    court = utah_court()
    golive = GoLiveFactory(court=court, go_live_date=GO_LIVE, status=GoLiveStatus.SCHEDULED)
    golive.emergency_filing_instructions = "Email emergency filings to the clerk's intake address."
    with pytest.raises(ValidationError) as refused:
        golive.full_clean()
    assert "email address" in str(refused.value)
    golive.emergency_filing_instructions = "Call the help desk."
    with pytest.raises(ValidationError):
        golive.full_clean()
    golive.emergency_filing_instructions = f"Call the help desk at {PHONE}."
    golive.full_clean()


def test_the_blackout_paragraph_never_refers_to_what_it_does_not_give():
    """Instructions saved before the check (no address in them) are not quoted: the help desk's
    number is given instead."""
    court = utah_court()
    golive = GoLiveFactory(court=court, go_live_date=GO_LIVE, status=GoLiveStatus.SCHEDULED,
                           blackout_start=court.local_midnight(GO_LIVE) - dt.timedelta(hours=31),
                           blackout_end=court.local_midnight(GO_LIVE))
    GoLiveFactory._meta.model.objects.filter(id=golive.id).update(
        emergency_filing_instructions="Email filings to the intake address.")
    account = filer_at(court)
    row = NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind="prepare", notice="prepare")
    row = NoticeDelivery.objects.select_related("filer", "court", "golive", "change").get(id=row.id)
    message = MessageBuilder(timezone.now()).build(row, "ready")
    assert "intake address" not in message.body
    assert f"call the {court.help_desk_name} at {PHONE}" in message.body


def test_a_notice_gives_every_divisions_help_desk_phone():
    court = utah_court()
    court.help_desk_phones = ["801-555-0101 (Salt Lake City)", "NA", "435-555-0102 (St. George)"]
    court.save(update_fields=["help_desk_phones"])
    body, html = message_for(NoticeKind.GOLIVE, "name_mismatch")
    for part in (body, html):
        assert "801-555-0101 (Salt Lake City); 435-555-0102 (St. George)" in part
