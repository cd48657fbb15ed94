"""Court addresses are http(s) only: the fields take no other scheme from now on, and an
address an earlier feed import stored with another scheme (`javascript:`, `data:` …) is cleared, so it
is no longer a link on the court page or in emails; the next feed import fills it again if the feed
has a good one."""
import re

import django.core.validators
from django.db import migrations, models

FIELDS = ("login_url", "web_url", "rss_url")
HTTP = re.compile(r"https?://[^\s]", re.IGNORECASE)


def clear_other_schemes(apps, schema_editor):
    Court = apps.get_model("courts", "Court")
    for court in Court.objects.only("pk", *FIELDS).iterator():
        bad = [name for name in FIELDS if getattr(court, name) and not HTTP.match(getattr(court, name))]
        if bad:
            Court.objects.filter(pk=court.pk).update(**{name: "" for name in bad})


def http_url(help_text=""):
    return models.URLField(blank=True, help_text=help_text,
                           validators=[django.core.validators.URLValidator(schemes=["http", "https"])])


class Migration(migrations.Migration):
    dependencies = [("courts", "0002_nextgen_rollout")]

    operations = [
        migrations.AlterField(model_name="court", name="login_url", field=http_url("The court's CM/ECF site.")),
        migrations.AlterField(model_name="court", name="rss_url", field=http_url()),
        migrations.AlterField(model_name="court", name="web_url", field=http_url("The court's public web site.")),
        migrations.RunPython(clear_other_schemes, migrations.RunPython.noop),
    ]
