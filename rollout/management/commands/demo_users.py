from django.core.management.base import BaseCommand

from rollout.demo import demo_ensure_users


class Command(BaseCommand):
    help = "Create (or show) the demo users: a superuser and the Montana and Utah court administrators."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="rollout-demo", help="Password for users this creates.")

    def handle(self, *args, password, **options):
        from django.conf import settings

        site = settings.SITE_URL  # `make run PORT=…` sets SITE_URL to the address it serves
        users = demo_ensure_users(password)
        self.stdout.write(f"Log in at {site}/ with one of these demo users:")
        for username, role in users:
            self.stdout.write(f"  {username:<10} {role}")
        self.stdout.write(f"Password (for users created by this command): {password}")
        # A filer's view: the personal link a notice would carry (the first filer with several courts).
        from django.db.models import Count

        from accounts.models import Filer
        from rollout.signed_links import status_url

        filer = Filer.objects.annotate(n=Count("cmecf_accounts")).order_by("-n", "id").first()
        if filer is not None:
            self.stdout.write(f"A filer's own status page ({filer.name}): {status_url(filer.pk, filer.email, filer.email_changes)}")
        self.stdout.write(f"Public go-live status: {site}/status/")
