from django.core.management.base import BaseCommand

from courts.catalog import catalog_courts
from courts.services import courts_import_feed


class Command(BaseCommand):
    help = "Add every federal court from the built-in catalog (no internet needed); existing courts are kept as they are."

    def handle(self, *args, **options):
        result = courts_import_feed(catalog_courts(), only_create=True)
        self.stdout.write(
            self.style.SUCCESS(
                f"Built-in court catalog: {len(result.created)} created, {len(result.unchanged)} already present."
            )
        )
