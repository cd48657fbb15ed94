"""Send the notices due now, in this process, without waiting for beat's next dispatch."""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from rollout.notices.dispatch import notices_dispatch
from rollout.notices.models import DeliveryState, NoticeDelivery
from rollout.notices.sending import deliveries_send

CHUNK = 50


class Command(BaseCommand):
    help = (
        "Create the notices due now (as beat's dispatch does) and send every pending notice at once, in this "
        "process. With --demo-reminder, also remind one unlinked filer of the District of Montana (once a day), "
        "so a new demo shows a real email straight away."
    )

    def add_arguments(self, parser):
        parser.add_argument("--demo-reminder", action="store_true",
                            help="Also send a reminder to one unlinked Montana filer (the demo's first email).")

    def handle(self, *args, demo_reminder, **options):
        dispatched = notices_dispatch()
        if demo_reminder:
            self._demo_reminder()
        pending = list(NoticeDelivery.objects.filter(state=DeliveryState.PENDING).order_by("id").values_list("id", flat=True))
        sent = skipped = failed = 0
        for start in range(0, len(pending), CHUNK):
            result = deliveries_send(pending[start:start + CHUNK], claimed_by="send_due_notices")
            sent, skipped, failed = sent + result.sent, skipped + result.skipped, failed + result.failed
        where = (f"SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT}" if settings.EMAIL_HOST
                 else f"{settings.EMAIL_FILE_PATH}/ (about one .log file per message, each in full)")
        self.stdout.write(f"Notices due now: {dispatched.rows_considered:,} created. Sent {sent:,}, skipped {skipped:,}, "
                          f"failed {failed:,}; emails go to {where}.")

    def _demo_reminder(self) -> None:
        from django.contrib.auth import get_user_model

        from accounts.models import CmecfAccount
        from accounts.selectors import cmecf_accounts_with_readiness
        from courts.selectors import court_ids_live
        from rollout.notices.services import notice_send_reminder_now

        coordinator = get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("id").first()
        live = court_ids_live()
        account = (cmecf_accounts_with_readiness(CmecfAccount.objects.filter(court__court_id="MTDC", linked_at__isnull=True),
                                                 live_court_ids=live)
                   .filter(readiness="ready").order_by("id").first())
        if coordinator is None or account is None:
            self.stdout.write("No demo reminder: no superuser or no unlinked, ready Montana filer.")
            return
        queued = notice_send_reminder_now([account.pk], coordinator)
        self.stdout.write(f"Demo reminder for {account.filer.email} (District of Montana): "
                          + ("queued." if queued else "already sent today."))
