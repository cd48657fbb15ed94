"""What `import_roster` and `import_link_report` share: arguments, progress and the printed report."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.imports.reading import ImportError_, ImportReport
from courts.input_checks import file_size_problem


class ImportCommand(BaseCommand):
    importer = None  # set by subclasses: (court, path, *, apply, progress, file_name) -> ImportReport

    def add_arguments(self, parser):
        parser.add_argument("court", help="Court id (e.g. MTDC) or CM/ECF code (e.g. mtd).")
        parser.add_argument("file", help="The CSV file (UTF-8, with or without BOM, or Windows-1252).")
        parser.add_argument(
            "--apply", action="store_true",
            help="Write the changes. Without it the command is a dry run: it only reports what would change.",
        )

    def handle(self, *args, court, file, apply, **options):
        started = time.monotonic()
        too_big = file_size_problem(Path(file), Path(file).name)
        if too_big:
            raise CommandError(f"{too_big} Nothing was imported.")
        interactive = sys.stdout.isatty()

        def progress(phase: str, rows: int) -> None:
            text = f"  {phase}: {rows:,} rows ({time.monotonic() - started:.1f} s)"
            if interactive:
                self.stdout.write("\r" + text, ending="")
                self.stdout.flush()
            else:
                self.stdout.write(text)

        try:
            report: ImportReport = type(self).importer(court, file, apply=apply, progress=progress)
        except ImportError_ as exc:
            raise CommandError(str(exc)) from None
        except FileNotFoundError:  # removed while being read
            raise CommandError(f"No such file: {Path(file).name}.") from None
        if interactive:
            self.stdout.write("")
        self.stdout.write(f"{report.kind} for {report.court_id} from {report.file_name} ({report.encoding})")
        for error in report.errors:
            self.stdout.write(self.style.ERROR(f"  {error}"))
        if report.error_count > len(report.errors):
            self.stdout.write(self.style.ERROR(f"  … and {report.error_count - len(report.errors):,} more bad rows"))
        self.stdout.write(report.summary() + f" ({time.monotonic() - started:.1f} s)")
        if not report.ok:
            raise CommandError(f"{report.error_count:,} bad rows: nothing was imported.")
        if not apply:
            self.stdout.write("Dry run: nothing was written. Run again with --apply to import.")
