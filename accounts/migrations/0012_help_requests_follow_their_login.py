"""Help requests whose login moved to another court before logins took their requests with them
(`accounts.services.cmecf_account_update`): each goes to its login's court, whose help desk handles it."""
from django.db import migrations
from django.db.models import F, OuterRef, Subquery


def follow_the_login(apps, schema_editor):
    HelpRequest = apps.get_model("accounts", "HelpRequest")
    CmecfAccount = apps.get_model("accounts", "CmecfAccount")
    login_court = Subquery(CmecfAccount.objects.filter(pk=OuterRef("account_id")).values("court_id")[:1])
    HelpRequest.objects.exclude(court_id=F("account__court_id")).update(court_id=login_court)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0011_filer_email_changes")]
    operations = [migrations.RunPython(follow_the_login, migrations.RunPython.noop)]
