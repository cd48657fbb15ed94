import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.counts import court_counts_refresh
from accounts.models import Filer
from rollout.demo import demo_notice_history, demo_schedule_golives, demo_seed_filers


class Command(BaseCommand):
    help = (
        "Build a realistic demo on the imported courts: NextGen go-live dates over the past and the future "
        "(Utah live since 2020-02-01, Montana since 2021-09-27, some postponed) and N synthetic filers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--filers", type=int, default=5000, help="How many filers (default 5,000; up to 1,000,000).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: same seed, same data.")
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None, help="Pretend today is this date (YYYY-MM-DD).")
        parser.add_argument("--add", action="store_true", help="Add filers even when some exist already.")
        parser.add_argument("--no-example-courts", action="store_true",
                            help="Skip the example courts' own filers (Utah and Montana at a real district's size).")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing (and succeed) when filers exist already.")

    def handle(self, *args, filers, seed, today, add, if_empty, no_example_courts, **options):
        if filers < 0:
            raise CommandError("--filers must be 0 or more.")
        today = today or timezone.localdate()
        if if_empty and Filer.objects.exists():
            self.stdout.write("The database already has filers: demo not seeded again.")
            return
        if Filer.objects.exists() and not add:
            raise CommandError("The database already has filers; pass --add to add more, or start from an empty database.")
        if add and Filer.objects.exists():
            golives = 0  # go-lives stay as they are: rescheduling would notify the filers already there
        else:
            golives = demo_schedule_golives(today, seed)
            self.stdout.write(f"Go-lives scheduled for {golives} courts.")
        started = time.monotonic()

        step = max(5000, filers // 20)
        next_report = [step]

        def progress(done: int) -> None:
            if done < next_report[0] and done < filers:
                return
            next_report[0] += step
            rate = done / max(time.monotonic() - started, 1e-6)
            self.stdout.write(f"  {done:,} / {filers:,} filers ({rate:,.0f}/s)")

        try:
            result = demo_seed_filers(filers, seed=seed, today=today, progress=progress, example_courts=bool(golives) and not no_example_courts)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        court_counts_refresh()
        notices = demo_notice_history(today)
        self.stdout.write(f"Notice history: {notices:,} notices already sent (prepare, go-live, reminders).")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {result.filers:,} filers, {result.pacer_accounts:,} PACER accounts, "
                f"{result.cmecf_accounts:,} CM/ECF accounts in {time.monotonic() - started:.1f}s."
            )
        )
