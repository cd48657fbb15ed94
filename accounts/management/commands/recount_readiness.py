import time

from django.core.management.base import BaseCommand

from accounts.counts import court_counts_refresh


class Command(BaseCommand):
    help = "Recount every court's stored readiness counts from the CM/ECF accounts (a safety net; normally kept current)."

    def handle(self, *args, **options):
        started = time.monotonic()
        courts = court_counts_refresh()
        self.stdout.write(self.style.SUCCESS(f"Recounted {courts} courts in {time.monotonic() - started:.2f}s."))
