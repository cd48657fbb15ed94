from django.core.management.base import BaseCommand, CommandError

from courts.catalog import CATALOG_PATH, catalog_courts
from courts.pacer_feed import FeedError
from courts.services import courts_import_feed


class Command(BaseCommand):
    help = "Add every federal court from the built-in catalog (no internet needed); existing courts are kept as they are."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="A catalog file in the same CSV format (default: the built-in one).")

    def handle(self, *args, path=None, **options):
        try:
            courts = catalog_courts(path or CATALOG_PATH)
        except FeedError as exc:
            raise CommandError(f"{exc} Nothing was changed.") from None
        result = courts_import_feed(courts, only_create=True)
        self.stdout.write(
            self.style.SUCCESS(
                f"Built-in court catalog: {len(result.created)} created, {len(result.unchanged)} already present."
            )
        )
