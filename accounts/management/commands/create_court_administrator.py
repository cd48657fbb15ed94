"""Create or update a court administrator and email them a link to set their password."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import court_administrator_save, court_administrator_send_invitation


class Command(BaseCommand):
    help = ("Create or update a court administrator (staff, in the \"Court administrators\" group) for one or more "
            "courts, and email them a link to set their password.")

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="Their email address; also their user name.")
        parser.add_argument("--name", required=True, help="Their full name.")
        parser.add_argument("--court", action="append", required=True, dest="courts", metavar="COURT_ID",
                            help="A court they administer, by court id (e.g. MTDC); repeat for several.")
        parser.add_argument("--no-email", action="store_true", help="Do not send the set-password link.")

    def handle(self, *args, email, name, courts, no_email, **options):
        court_ids = [part for value in courts for part in value.split(",")]
        try:
            saved = court_administrator_save(email=email, name=name, court_ids=court_ids)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        user = saved.user
        self.stdout.write(f"{'Created' if saved.created else 'Updated'} court administrator {user.get_username()}; "
                          f"courts added: {', '.join(saved.courts_added) or 'none (already assigned)'}.")
        if no_email:
            return
        try:
            address = court_administrator_send_invitation(user)
        except Exception as exc:  # the mail server refused or is unreachable
            raise CommandError(f"The administrator is saved, but the set-password email was not sent: {exc}. "
                               "Run the command again once mail works.") from None
        self.stdout.write(f"Set-password link sent to {address}.")
