"""What each message says, per notice and per readiness, as received by a real SMTP server."""
import datetime as dt

import pytest

from courts.models import GoLiveStatus
from rollout.notices.dispatch import notices_dispatch
from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeTemplate
from rollout.notices.sending import deliveries_send
from tests.factories import GoLiveFactory, filer_at, montana_court, utah_court

pytestmark = pytest.mark.django_db

LIVE_DAY = dt.date(2021, 9, 27)


def send_pending():
    ids = list(NoticeDelivery.objects.filter(state=DeliveryState.PENDING).values_list("id", flat=True))
    return deliveries_send(ids, claimed_by="test")


def parts(sink_message):
    msg = sink_message.message
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    return msg, text, html


def go_live_message(smtp_sink, state="ready", name="John Q. Attorney", court=None):
    court = court or montana_court()
    GoLiveFactory(court=court, go_live_date=LIVE_DAY, status=GoLiveStatus.SCHEDULED)
    account = filer_at(court, state=state, name=name)
    notices_dispatch(court.local_midnight(LIVE_DAY) + dt.timedelta(hours=8))
    send_pending()
    (received,) = smtp_sink.to(account.filer.email)
    return parts(received)


def prepare_message(smtp_sink, state="ready", **golive):
    court = montana_court()
    day = court.local_today() + dt.timedelta(days=20)
    GoLiveFactory(court=court, go_live_date=day, status=GoLiveStatus.SCHEDULED, **golive)
    account = filer_at(court, state=state)
    notices_dispatch()
    send_pending()
    (received,) = smtp_sink.to(account.filer.email)
    return parts(received) + (day,)


def test_go_live_notice_gives_the_courts_url_phone_and_linking_steps(smtp_sink):
    msg, text, html = go_live_message(smtp_sink, court=utah_court())
    assert "is live on NextGen CM/ECF" in msg["Subject"]
    assert "https://ecf.utd.uscourts.gov" in text and "801-524-6100" in text
    assert '"Link a CM/ECF account to my PACER account"' in text and "NextGen Release 1.1 Menu Items" in text
    assert "Civil and Criminal menus" in text and "clear cookies" in text
    assert "PACER account only" in text
    assert '<a href="https://ecf.utd.uscourts.gov">' in html


def test_go_live_notice_tells_a_legacy_account_holder_to_upgrade_first(smtp_sink):
    msg, text, html = go_live_message(smtp_sink, state="legacy")
    assert "legacy account (created before August 11, 2014). Upgrade it first" in text


def test_go_live_notice_tells_a_shared_account_holder_to_get_an_individual_account(smtp_sink):
    msg, text, html = go_live_message(smtp_sink, state="shared")
    assert "shared firm account, which must never be linked" in text
    assert "Register an individual PACER account" in text


def test_go_live_notice_tells_a_name_mismatch_to_call_the_help_desk(smtp_sink):
    msg, text, html = go_live_message(smtp_sink, state="name_mismatch")
    assert "do not match. Call the CM/ECF help desk at 866-463-4052" in text


def test_go_live_notice_tells_a_filer_without_pacer_to_register(smtp_sink):
    msg, text, html = go_live_message(smtp_sink, state="no_pacer")
    assert "no individual PACER account on record" in text


def test_a_ready_filer_gets_no_fix_it_paragraph(smtp_sink):
    msg, text, html = go_live_message(smtp_sink, state="ready")
    assert "BEFORE YOU START" not in text


def test_names_filers_typed_are_escaped_in_the_html_part(smtp_sink):
    msg, text, html = go_live_message(smtp_sink, name='Eve <script>alert("x")</script> Hacker')
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'Eve <script>alert("x")</script> Hacker' in text  # plain text is not HTML


def test_prepare_notice_states_the_date_one_account_legacy_shared_and_link_after_go_live(smtp_sink):
    msg, text, html, day = prepare_message(smtp_sink)
    assert f"{day:%B} {day.day}, {day.year}" in msg["Subject"]
    assert "Central Sign-On" in text
    assert "before August 11, 2014 is a legacy account and must be upgraded" in text
    assert "shared firm account cannot be linked" in text
    assert "only after the court is live" in text


def test_prepare_notice_gives_the_blackout_and_emergency_filing_instructions(smtp_sink):
    court = montana_court()
    start = court.local_midnight(court.local_today() + dt.timedelta(days=18)) + dt.timedelta(hours=17)
    msg, text, html, day = prepare_message(
        smtp_sink, blackout_start=start, blackout_end=start + dt.timedelta(days=2, hours=15),
        emergency_filing_instructions="Email emergency filings to <intake@mtd.example.gov>.",
    )
    assert "FILING BLACKOUT" in text and "5:00 PM" in text
    assert "Email emergency filings to <intake@mtd.example.gov>." in text
    assert "&lt;intake@mtd.example.gov&gt;" in html


def test_a_courts_own_template_replaces_the_default(smtp_sink):
    court = montana_court()
    NoticeTemplate.objects.create(court=court, kind="golive", subject="Montana is live, {{ filer_name }}",
                                  text_body="Go to {{ login_url }}.", html_body="<p>Go to {{ login_url }}.</p>")
    msg, text, html = go_live_message(smtp_sink, court=court)
    assert msg["Subject"] == "Montana is live, John Q. Attorney"
    assert text.strip() == "Go to https://ecf.mtd.uscourts.gov."


def test_every_message_carries_its_delivery_message_id(smtp_sink, settings):
    settings.NOTICES_MESSAGE_ID_DOMAIN = "rollout.court.example"
    msg, text, html = go_live_message(smtp_sink)
    row = NoticeDelivery.objects.get()
    assert msg["Message-ID"] == row.message_id == f"<delivery-{row.id}.mtdc@rollout.court.example>"


def test_reminder_carries_one_click_unsubscribe_headers_and_the_go_live_notice_does_not(smtp_sink, settings):
    settings.SITE_URL = "https://rollout.example.gov"
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=LIVE_DAY, status=GoLiveStatus.SCHEDULED, reminder_days_after=[7])
    account = filer_at(court)
    notices_dispatch(court.local_midnight(LIVE_DAY + dt.timedelta(days=7)) + dt.timedelta(hours=8))
    send_pending()
    by_subject = {m.message["Subject"]: m.message for m in smtp_sink.to(account.filer.email)}
    reminder = next(m for s, m in by_subject.items() if s.startswith("Reminder"))
    golive = next(m for s, m in by_subject.items() if not s.startswith("Reminder"))
    assert str(reminder["List-Unsubscribe"]).strip().startswith("<https://rollout.example.gov/notices/unsubscribe/")
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert golive["List-Unsubscribe"] is None


def test_a_name_with_accents_arrives_intact_in_both_parts(smtp_sink):
    msg, text, html = go_live_message(smtp_sink, name="José Ñúñez-Kealoha")
    assert "Dear José Ñúñez-Kealoha," in text
    assert "José Ñúñez-Kealoha" in html


def test_each_recipient_of_one_chunk_gets_their_own_name(smtp_sink):
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=LIVE_DAY, status=GoLiveStatus.SCHEDULED)
    first = filer_at(court, state="ready", name="Ann O'Brien & Co")
    second = filer_at(court, state="ready", name="Bob Smith")
    notices_dispatch(court.local_midnight(LIVE_DAY) + dt.timedelta(hours=8))
    send_pending()
    (to_first,) = smtp_sink.to(first.filer.email)
    (to_second,) = smtp_sink.to(second.filer.email)
    _, text_first, html_first = parts(to_first)
    _, text_second, html_second = parts(to_second)
    assert "Ann O'Brien & Co" in text_first and "Bob Smith" not in text_first
    assert "Ann O&#x27;Brien &amp; Co" in html_first and "Bob Smith" not in html_first
    assert "Bob Smith" in text_second and "Bob Smith" in html_second and "Brien" not in html_second


def test_a_template_that_transforms_the_name_still_gets_each_recipients_name(smtp_sink):
    court = montana_court()
    NoticeTemplate.objects.create(court=court, kind="golive", subject="Live: {{ filer_name|upper }}",
                                  text_body="Dear {{ filer_name|upper }} ({{ filer_name|length }})",
                                  html_body="<p>Dear {{ filer_name|upper }}</p>")
    GoLiveFactory(court=court, go_live_date=LIVE_DAY, status=GoLiveStatus.SCHEDULED)
    first = filer_at(court, state="ready", name="Ann <b>Lee</b>")
    second = filer_at(court, state="ready", name="Bob Smith")
    notices_dispatch(court.local_midnight(LIVE_DAY) + dt.timedelta(hours=8))
    send_pending()
    msg_first, text_first, html_first = parts(smtp_sink.to(first.filer.email)[0])
    msg_second, text_second, html_second = parts(smtp_sink.to(second.filer.email)[0])
    assert msg_first["Subject"] == "Live: ANN <B>LEE</B>"
    assert text_first.strip() == "Dear ANN <B>LEE</B> (14)"
    assert "<p>Dear ANN &lt;B&gt;LEE&lt;/B&gt;</p>" in html_first
    assert msg_second["Subject"] == "Live: BOB SMITH"
    assert text_second.strip() == "Dear BOB SMITH (9)"
