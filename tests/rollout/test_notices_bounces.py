"""Bounces: signed envelope sender per delivery; DSNs read from a Maildir (stored samples of Postfix,
Exim, Exchange and Gmail; and real DSNs from Postfix when it runs here) mark deliveries bounced and
addresses undeliverable; undeliverable addresses get no more notices until the filer's changes."""
import datetime as dt
import email
import mailbox
import os
import re
import secrets
import smtplib
import socketserver
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from courts.selectors import court_ids_live
from rollout.notices.dispatch import deliveries_create, notices_dispatch
from rollout.notices.messages import verp_address, verp_delivery_id
from rollout.notices.models import BouncedAddress, DeliveryState, NoticeDelivery
from rollout.notices.sending import deliveries_send
from tests.conftest import wait_for
from tests.rollout.test_notices_delivery import live_court_with_filers, on_go_live_day

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).with_name("bounce_samples")
PERMANENT = sorted(p.name for p in SAMPLES.glob("*_permanent.eml"))


@pytest.fixture(autouse=True)
def _bounce_address(settings):
    settings.NOTICES_BOUNCE_ADDRESS = "bounces@tracker.example"


@pytest.fixture
def maildir(tmp_path):
    return tmp_path / "bounces"


def sent_deliveries(n: int):
    court, golive, accounts = live_court_with_filers(n)
    now = on_go_live_day(court)
    deliveries_create(golive, "golive", "golive", live_court_ids=court_ids_live(now))
    NoticeDelivery.objects.update(state=DeliveryState.SENT, sent_at=timezone.now())
    return court, golive, list(NoticeDelivery.objects.select_related("filer").order_by("id"))


def drop(maildir: Path, sample: str, delivery: NoticeDelivery, *, verp: str | None = None,
         rcpt: str | None = None) -> None:
    raw = (SAMPLES / sample).read_text()
    raw = raw.replace("VERP_ADDRESS", verp or verp_address(delivery.id)).replace(
        "RCPT_ADDRESS", rcpt or delivery.filer.email)
    mailbox.Maildir(str(maildir), create=True).add(email.message_from_string(raw))


def process(maildir: Path) -> None:
    call_command("process_bounces", maildir=str(maildir))


def test_the_envelope_sender_names_the_delivery_and_is_signed(settings):
    address = verp_address(42)
    assert address.startswith("bounces+42-") and address.endswith("@tracker.example")
    assert verp_delivery_id(address) == 42
    assert verp_delivery_id(address.replace("+42-", "+43-")) is None  # forged id
    settings.NOTICES_BOUNCE_ADDRESS = "bounces@elsewhere.example"
    assert verp_delivery_id(address) is None  # not our bounce address


@pytest.mark.parametrize("sample", PERMANENT)
def test_a_permanent_bounce_marks_the_delivery_bounced_and_the_address_undeliverable(sample, maildir):
    court, golive, rows = sent_deliveries(2)
    drop(maildir, sample, rows[0])
    process(maildir)
    bounced = NoticeDelivery.objects.get(id=rows[0].id)
    assert bounced.state == DeliveryState.BOUNCED and bounced.bounced_at
    assert re.search(r"\b5\d\d\b|\b5\.\d\.\d", bounced.last_error)  # the server's reason
    assert BouncedAddress.objects.get(email=rows[0].filer.email).undeliverable_at is not None
    assert NoticeDelivery.objects.get(id=rows[1].id).state == DeliveryState.SENT
    assert not BouncedAddress.objects.filter(email=rows[1].filer.email).exists()
    assert not list(mailbox.Maildir(str(maildir)).iterkeys())  # processed: removed


def a_day_passes(filer) -> None:
    """As if the address's last bounce had come the day before."""
    BouncedAddress.objects.filter(email=filer.email).update(last_bounce_at=F("last_bounce_at") - dt.timedelta(days=1))


def test_soft_bounces_are_counted_once_per_delivery_and_on_several_days_make_the_address_undeliverable(
    maildir, settings
):
    settings.NOTICES_SOFT_BOUNCE_LIMIT = 3
    court, golive, rows = sent_deliveries(1)
    filer = rows[0].filer
    later = [NoticeDelivery.objects.create(filer=filer, court=court, golive=golive, kind="reminder",
                                           notice=f"reminder_{d}", state=DeliveryState.SENT) for d in (7, 14)]
    drop(maildir, "postfix_delayed.eml", rows[0])
    drop(maildir, "postfix_delayed.eml", rows[0])  # the same delivery delayed again: counted once
    process(maildir)
    address = BouncedAddress.objects.get(email=filer.email)
    assert address.soft_bounces == 1 and address.undeliverable_at is None
    assert NoticeDelivery.objects.get(id=rows[0].id).state == DeliveryState.SENT  # still on its way
    a_day_passes(filer)
    drop(maildir, "postfix_delayed.eml", later[0])
    process(maildir)
    assert BouncedAddress.objects.get(email=filer.email).undeliverable_at is None
    a_day_passes(filer)
    drop(maildir, "postfix_delayed.eml", later[1])
    process(maildir)
    address.refresh_from_db()
    assert address.soft_bounces == 3 and address.undeliverable_at is not None


def test_soft_bounces_of_several_notices_on_one_day_count_once(maildir, settings):
    """Three courts' notices delayed by one outage of the filer's mail server are one bad day."""
    settings.NOTICES_SOFT_BOUNCE_LIMIT = 3
    court, golive, rows = sent_deliveries(1)
    filer = rows[0].filer
    others = [NoticeDelivery.objects.create(filer=filer, court=court, golive=golive, kind="reminder",
                                            notice=f"reminder_{d}", state=DeliveryState.SENT) for d in (7, 14)]
    for delivery in (rows[0], *others):
        drop(maildir, "postfix_delayed.eml", delivery)
    process(maildir)
    address = BouncedAddress.objects.get(email=filer.email)
    assert address.soft_bounces == 1 and address.undeliverable_at is None
    assert not list(mailbox.Maildir(str(maildir)).iterkeys())  # each read and removed


def test_a_bounce_to_a_forged_or_foreign_address_is_left_alone(maildir):
    court, golive, rows = sent_deliveries(1)
    forged = verp_address(rows[0].id).replace("-", "-0", 1)
    drop(maildir, "postfix_permanent.eml", rows[0], verp=forged)
    drop(maildir, "gmail_permanent.eml", rows[0], verp="someone-else@tracker.example")
    process(maildir)
    assert NoticeDelivery.objects.get(id=rows[0].id).state == DeliveryState.SENT
    assert not BouncedAddress.objects.exists()
    assert len(list(mailbox.Maildir(str(maildir)).iterkeys())) == 2  # not ours: not deleted


def test_an_auto_reply_is_not_a_bounce(maildir):
    court, golive, rows = sent_deliveries(1)
    drop(maildir, "vacation_autoreply.eml", rows[0])
    process(maildir)
    assert NoticeDelivery.objects.get(id=rows[0].id).state == DeliveryState.SENT
    assert not BouncedAddress.objects.exists()
    assert not list(mailbox.Maildir(str(maildir)).iterkeys())


def test_an_auto_reply_whose_sender_name_is_raw_utf8_is_read_and_removed(maildir):
    """A mail system that took the message as 8-bit (SMTPUTF8) writes the filer's name unencoded."""
    court, golive, rows = sent_deliveries(1)
    raw = (SAMPLES / "vacation_autoreply.eml").read_text().replace("VERP_ADDRESS", verp_address(rows[0].id)).replace(
        "RCPT_ADDRESS", rows[0].filer.email).replace("From: Pat Filer", "From: Renée Côté")
    mailbox.Maildir(str(maildir), create=True).add(raw.encode("utf-8"))
    out = StringIO()
    call_command("process_bounces", maildir=str(maildir), stdout=out)
    assert "1 not bounces (removed)" in out.getvalue() and "could not be recorded" not in out.getvalue()
    assert not list(mailbox.Maildir(str(maildir)).iterkeys())


def test_a_bounce_for_an_address_the_filer_no_longer_has_marks_only_the_delivery(maildir):
    court, golive, rows = sent_deliveries(1)
    drop(maildir, "exim_permanent.eml", rows[0])
    filer = rows[0].filer
    filer.email = "new.address@lawfirm.example"
    filer.save()
    process(maildir)
    assert NoticeDelivery.objects.get(id=rows[0].id).state == DeliveryState.BOUNCED
    assert not BouncedAddress.objects.exists()


def test_a_bounce_naming_the_ascii_form_of_an_international_domain_marks_the_filers_address(maildir):
    from django.core.mail.message import sanitize_address

    court, golive, rows = sent_deliveries(1)
    filer = rows[0].filer
    filer.email = "anna@müller.example"
    filer.save()
    drop(maildir, "postfix_permanent.eml", rows[0], rcpt=sanitize_address(filer.email, "utf-8"))  # as sent
    process(maildir)
    assert NoticeDelivery.objects.get(id=rows[0].id).state == DeliveryState.BOUNCED
    assert BouncedAddress.objects.get(email="anna@müller.example").undeliverable_at is not None


def test_an_undeliverable_address_gets_no_more_notices_until_the_filer_address_changes(maildir, settings):
    court, golive, rows = sent_deliveries(2)
    dead, alive = rows[0].filer, rows[1].filer
    drop(maildir, "gmail_permanent.eml", rows[0])
    process(maildir)
    reminder_day = on_go_live_day(court) + __import__("datetime").timedelta(days=7)
    notices_dispatch(reminder_day)
    assert set(NoticeDelivery.objects.filter(notice="reminder_7").values_list("filer_id", flat=True)) == {alive.id}
    # A row created before the bounce is skipped with the reason when its turn comes.
    early = NoticeDelivery.objects.create(filer=dead, court=court, golive=golive, kind="reminder", notice="reminder_x")
    deliveries_send([early.id], claimed_by="test", now=reminder_day)
    early.refresh_from_db()
    assert early.state == DeliveryState.SKIPPED and "undeliverable" in early.skip_reason
    dead.email = "fixed.address@lawfirm.example"
    dead.save()
    notices_dispatch(reminder_day)
    assert NoticeDelivery.objects.filter(notice="reminder_7", filer=dead).exists()


# --- Real Postfix DSNs ------------------------------------------------------------------------------

def postfix_or_skip():
    smtp = os.environ.get("ROLLOUT_POSTFIX_SMTP")
    maildir = os.environ.get("ROLLOUT_POSTFIX_MAILDIR")
    if not smtp or not maildir:
        pytest.skip("ROLLOUT_POSTFIX_SMTP / ROLLOUT_POSTFIX_MAILDIR not set (CI sets them)")
    host, _, port = smtp.rpartition(":")
    try:
        smtplib.SMTP(host, int(port), timeout=5).quit()
    except OSError as exc:
        if os.environ.get("ROLLOUT_REQUIRE_POSTFIX") == "1":
            pytest.fail(f"Postfix is not reachable at {smtp}: {exc}")
        pytest.skip(f"Postfix is not reachable at {smtp}")
    return host, int(port), maildir


def test_real_postfix_dsns_mark_the_dead_address_and_only_it(settings):
    """Notices go through the real Postfix; `dead.*` recipients bounce, and Postfix writes its own
    DSN back to each delivery's envelope sender, into the shared Maildir. Only this test's messages
    (a random domain) are read or removed there."""
    host, port, maildir = postfix_or_skip()
    token = secrets.token_hex(6)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = host, port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.NOTICES_BOUNCE_ADDRESS = f"bounces@{token}.test"
    settings.NOTICES_BOUNCE_MAILDIR = maildir
    court, golive, accounts = live_court_with_filers(3)
    emails = [f"dead.one@{token}.example", f"alive.two@{token}.example", f"dead.three@{token}.example"]
    for account, address in zip(accounts, emails):
        account.filer.email = address
        account.filer.save()
    deliveries_create(golive, "golive", "golive", live_court_ids=court_ids_live(on_go_live_day(court)))
    ids = list(NoticeDelivery.objects.values_list("id", flat=True))
    try:
        result = deliveries_send(ids, claimed_by="postfix-test", now=on_go_live_day(court))
        assert result.sent == 3  # Postfix accepts all; the dead ones bounce afterwards

        def bounced():
            call_command("process_bounces")
            return NoticeDelivery.objects.filter(state=DeliveryState.BOUNCED).count() == 2

        wait_for(bounced, timeout=60, what="Postfix's DSNs for the two dead addresses")
        states = dict(NoticeDelivery.objects.values_list("filer__email", "state"))
        assert states == {emails[0]: "bounced", emails[1]: "sent", emails[2]: "bounced"}
        assert set(BouncedAddress.objects.filter(undeliverable_at__isnull=False).values_list("email", flat=True)) \
            == {emails[0], emails[2]}
        assert "5.1.1" in NoticeDelivery.objects.get(filer__email=emails[0]).last_error
    finally:
        box = mailbox.Maildir(maildir, create=False)
        for key in list(box.iterkeys()):  # only this test's messages: the domain token is in them
            try:
                with box.get_file(key) as handle:
                    if token.encode() in handle.read():
                        box.remove(key)
            except (FileNotFoundError, KeyError):
                pass


# --- An IMAP bounce mailbox -------------------------------------------------------------------------

class ImapStandIn(socketserver.ThreadingTCPServer):
    """A stand-in for the mail host's IMAP server: one mailbox, speaking the IMAP4rev1 the reader
    uses (LOGIN, SELECT, UID SEARCH/FETCH/STORE, EXPUNGE) with RFC 3501's flags: fetching RFC822 or
    BODY[] marks a message \\Seen, BODY.PEEK[] does not. `refuse` ("login" or "select") answers that
    command NO, as for a wrong password or a mailbox that is not there."""

    daemon_threads = allow_reuse_address = True

    def __init__(self, messages: list[bytes] = (), refuse: str = ""):
        self.messages = {uid: {"raw": raw, "flags": set()} for uid, raw in enumerate(messages, start=1)}
        self.refuse = refuse
        super().__init__(("127.0.0.1", 0), ImapStandInHandler)


class ImapStandInHandler(socketserver.StreamRequestHandler):
    def reply(self, text: str | bytes) -> None:
        self.wfile.write(text if isinstance(text, bytes) else text.encode())

    def handle(self):
        box = self.server.messages
        self.reply("* OK [CAPABILITY IMAP4rev1] ready\r\n")
        for line in self.rfile:
            tag, _, command = line.decode().strip().partition(" ")
            words = command.split(" ")
            verb = words[0].upper()
            if verb == "LOGOUT":
                self.reply(f"* BYE\r\n{tag} OK bye\r\n")
                return
            if verb.lower() == self.server.refuse:
                reason = ("[AUTHENTICATIONFAILED] Invalid credentials" if verb == "LOGIN"
                          else "[NONEXISTENT] No such mailbox")
                self.reply(f"{tag} NO {reason}\r\n")
                continue
            if verb == "SELECT":
                self.reply(f"* {len(box)} EXISTS\r\n{tag} OK [READ-WRITE] selected\r\n")
            elif verb == "UID" and words[1].upper() == "SEARCH":
                self.reply(f"* SEARCH {' '.join(map(str, box))}\r\n{tag} OK done\r\n")
            elif verb == "UID" and words[1].upper() == "FETCH":
                uid, item = int(words[2]), " ".join(words[3:]).strip("()").upper()
                raw = box[uid]["raw"]
                if not item.startswith("BODY.PEEK"):
                    box[uid]["flags"].add("\\Seen")
                name = "RFC822" if item == "RFC822" else "BODY[]"
                self.reply(f"* {uid} FETCH (UID {uid} {name} {{{len(raw)}}}\r\n".encode() + raw + b")\r\n")
                self.reply(f"{tag} OK done\r\n")
            elif verb == "UID" and words[1].upper() == "STORE":
                box[int(words[2])]["flags"].update(" ".join(words[4:]).strip("()").split())
                self.reply(f"{tag} OK done\r\n")
            elif verb == "EXPUNGE":
                for uid in [u for u, m in box.items() if "\\Deleted" in m["flags"]]:
                    del box[uid]
                self.reply(f"{tag} OK done\r\n")
            else:
                self.reply(f"{tag} OK done\r\n")


@pytest.fixture
def imap(settings):
    """Starts a stand-in IMAP server (`imap(messages, refuse=…)`) and points the tracker at it."""
    servers = []

    def start(messages=(), refuse=""):
        server = ImapStandIn(list(messages), refuse)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        settings.NOTICES_BOUNCE_MAILDIR = ""
        settings.NOTICES_BOUNCE_IMAP_URL = f"imap://bounces:s3cret@127.0.0.1:{server.server_address[1]}/Bounces"
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("refuse, says", [("login", "Invalid credentials"), ("select", "No such mailbox")])
def test_an_imap_mailbox_that_refuses_is_named_with_the_servers_reason_not_a_traceback(imap, refuse, says):
    imap(refuse=refuse)
    with pytest.raises(CommandError) as refused:
        call_command("process_bounces")
    assert "127.0.0.1" in str(refused.value) and says in str(refused.value)
    assert "s3cret" not in str(refused.value)


def test_a_bounce_read_over_imap_is_recorded_and_removed(imap):
    court, golive, rows = sent_deliveries(1)
    raw = (SAMPLES / "postfix_permanent.eml").read_text().replace("VERP_ADDRESS", verp_address(rows[0].id)).replace(
        "RCPT_ADDRESS", rows[0].filer.email)
    server = imap([raw.encode()])
    call_command("process_bounces")
    assert NoticeDelivery.objects.get(id=rows[0].id).state == DeliveryState.BOUNCED
    assert not server.messages


def test_a_message_not_for_the_tracker_in_an_imap_mailbox_is_left_unread(imap):
    """The bounce address may be the notices' From address, whose mailbox staff read for filers' replies:
    the tracker leaves what is not its own as it found it, unread too."""
    reply = (b"From: Pat Filer <pat@lawfirm.example>\r\nTo: nextgen-rollout@tracker.example\r\n"
             b"Subject: Re: link your CM/ECF login\r\n\r\nWhich login do I use?\r\n")
    server = imap([reply])
    call_command("process_bounces")
    assert [m["flags"] for m in server.messages.values()] == [set()]
