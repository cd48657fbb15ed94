"""Read the bounce mailbox once (NOTICES_BOUNCE_MAILDIR and/or NOTICES_BOUNCE_IMAP_URL)."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Read bounces (DSNs) from the bounce mailbox and mark deliveries bounced and addresses undeliverable."

    def add_arguments(self, parser):
        parser.add_argument("--maildir", help="Read this Maildir instead of NOTICES_BOUNCE_MAILDIR.")

    def handle(self, *args, maildir=None, **options):
        from rollout.notices.bounces import BounceRun, bounces_process, bounces_process_maildir

        if not (maildir or settings.NOTICES_BOUNCE_MAILDIR or settings.NOTICES_BOUNCE_IMAP_URL):
            raise CommandError("No bounce mailbox: set NOTICES_BOUNCE_MAILDIR or NOTICES_BOUNCE_IMAP_URL "
                               "(or give --maildir).")
        try:
            if maildir:
                run = BounceRun()
                bounces_process_maildir(maildir, run)
            else:
                run = bounces_process()
        except (ValueError, OSError) as exc:  # a wrong path or an unreachable IMAP server: say which
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Read {run.read} messages: {run.recorded} bounces recorded, {run.not_bounces} not "
                          f"bounces (removed), {run.ignored} not addressed to a bounce address of ours (left)"
                          + (f", {run.failed} that could not be recorded (left; the log says why)." if run.failed else "."))
