from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courts.pacer_feed import FeedError, load_feed, parse_feed
from courts.services import courts_import_feed


class Command(BaseCommand):
    help = (
        "Load or update every federal court from the PACER 'Court CM/ECF Lookup' JSON feed "
        "(a file path or URL; the official URL when none is given). Idempotent; all-or-nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", help="Path or URL of the feed (default: the official PACER URL).")

    def handle(self, *args, source=None, **options):
        source = source or settings.PACER_FEED_URL
        self.stdout.write(f"Reading the PACER court feed from {source} …")
        try:
            courts, skipped = parse_feed(load_feed(source, timeout=settings.PACER_FEED_TIMEOUT))
        except FeedError as exc:
            raise CommandError(f"{exc} Nothing was changed.") from None
        result = courts_import_feed(courts, skipped=skipped)
        for skip in result.skipped:
            self.stdout.write(f"  skipped {skip.court_id}: {skip.reason}")
        for court_id, why in result.zones_kept:
            self.stdout.write(f"  {court_id}: {why}")
        for court_id in result.not_in_feed:
            self.stdout.write(f"  {court_id}: not in the feed; kept as it is, with its go-live and history.")
        for change in result.version_changes:
            self.stdout.write(
                f"  {change.court.court_id}: software version {change.old_version or '(none)'} → {change.new_version}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Courts: {len(result.created)} created, {len(result.updated)} updated, "
                f"{len(result.unchanged)} unchanged, {len(result.skipped)} skipped"
                + (f", {len(result.not_in_feed)} not in the feed." if result.not_in_feed else ".")
            )
        )
        if not result.changed_anything:
            self.stdout.write("Nothing changed." if result.not_in_feed
                              else "Nothing changed: the database already matches the feed.")
