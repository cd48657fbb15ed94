"""Bounces with characters no field may hold (a NUL cannot be stored in PostgreSQL at all) are still
recorded, and one message that cannot be processed does not stop the others from being recorded."""
import mailbox

import pytest
from django.db import DataError

from rollout.notices import bounces
from rollout.notices.messages import verp_address
from rollout.notices.models import BouncedAddress, DeliveryState, NoticeDelivery
from tests.rollout.test_notices_bounces import SAMPLES, drop, process, sent_deliveries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _bounce_address(settings):
    settings.NOTICES_BOUNCE_ADDRESS = "bounces@tracker.example"


def drop_raw(maildir, raw: str) -> None:
    mailbox.Maildir(str(maildir), create=True).add(raw.encode())


def postfix_bounce(delivery: NoticeDelivery, *, rcpt: str | None = None) -> str:
    raw = (SAMPLES / "postfix_permanent.eml").read_text()
    return raw.replace("VERP_ADDRESS", verp_address(delivery.id)).replace("RCPT_ADDRESS", rcpt or delivery.filer.email)


def dsn_with_nul(delivery):
    return postfix_bounce(delivery).replace("Diagnostic-Code: smtp; 550", "Diagnostic-Code: smtp; 550 \x00\x1b")


def text_part_with_nul(delivery):
    # No Status or Diagnostic-Code: the diagnostic comes from the text part's "said: 550" line.
    raw = postfix_bounce(delivery)
    raw = raw.replace("Status: 5.1.1\n", "").replace(
        "Diagnostic-Code: smtp; 550 5.1.1 <RCPT_ADDRESS>: Recipient address rejected:\n"
        "    User unknown in virtual mailbox table\n".replace("RCPT_ADDRESS", delivery.filer.email), "")
    assert "Diagnostic-Code" not in raw
    return raw.replace("said: 550 5.1.1", "said: 550 \x00 5.1.1")


def recipient_with_nul(delivery):
    return postfix_bounce(delivery, rcpt=delivery.filer.email + "\x00")


@pytest.mark.parametrize("make", [dsn_with_nul, text_part_with_nul, recipient_with_nul])
def test_a_bounce_whose_diagnostic_holds_a_nul_is_recorded_without_it(make, tmp_path):
    maildir = tmp_path / "bounces"
    court, golive, rows = sent_deliveries(2)
    drop_raw(maildir, make(rows[0]))
    drop(maildir, "exim_permanent.eml", rows[1])
    process(maildir)
    first, second = NoticeDelivery.objects.get(id=rows[0].id), NoticeDelivery.objects.get(id=rows[1].id)
    assert first.state == DeliveryState.BOUNCED and "550" in first.last_error
    assert "\x00" not in first.last_error and "\x1b" not in first.last_error
    assert second.state == DeliveryState.BOUNCED
    assert BouncedAddress.objects.get(email=rows[1].filer.email).undeliverable_at is not None
    assert not list(mailbox.Maildir(str(maildir)).iterkeys())  # all processed: removed


def test_a_message_that_cannot_be_recorded_is_left_and_the_others_are_recorded(tmp_path, monkeypatch, caplog):
    maildir = tmp_path / "bounces"
    court, golive, rows = sent_deliveries(3)
    for row in rows:
        drop(maildir, "postfix_permanent.eml", row)
    record = bounces.delivery_bounce_record

    def failing_for_the_second(bounce, now=None):
        if bounce.delivery_id == rows[1].id:
            raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        return record(bounce, now)

    monkeypatch.setattr(bounces, "delivery_bounce_record", failing_for_the_second)
    for attempt in (1, 2):  # the message left behind does not block the next run either
        process(maildir)
    states = dict(NoticeDelivery.objects.filter(id__in=[r.id for r in rows]).values_list("id", "state"))
    assert states == {rows[0].id: DeliveryState.BOUNCED, rows[1].id: DeliveryState.SENT,
                      rows[2].id: DeliveryState.BOUNCED}
    assert len(list(mailbox.Maildir(str(maildir)).iterkeys())) == 1  # the failed one, left to look at
    assert "bounce message not processed" in caplog.text
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("process_bounces", maildir=str(maildir), stdout=out)
    assert "1 that could not be recorded (left; the log says why)" in out.getvalue()
