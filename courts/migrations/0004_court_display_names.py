"""Court display names: the feed's own court_name kept apart (feed_name), the name derived once from the
feed's structured fields (courts/names.py), and an administrator's override kept across imports."""
from django.db import migrations, models


def derive_names(apps, schema_editor):
    from courts.names import display_name

    Court = apps.get_model("courts", "Court")
    for court in Court.objects.all():
        court.feed_name = court.name
        court.name = display_name(court_id=court.court_id, court_type=court.court_type, circuit=court.circuit,
                                  name=court.name, title=court.title)[:200]
        court.save(update_fields=["feed_name", "name"])


class Migration(migrations.Migration):
    dependencies = [("courts", "0003_court_addresses_http_only")]

    operations = [
        migrations.AddField(
            model_name="court", name="feed_name",
            field=models.CharField(blank=True, help_text="The feed's own court_name, as typed by the court.", max_length=200),
        ),
        migrations.AddField(
            model_name="court", name="name_overridden",
            field=models.BooleanField(default=False, help_text="Set by an administrator: the feed import keeps this name."),
        ),
        migrations.AlterField(
            model_name="court", name="name",
            field=models.CharField(
                help_text="The court's display name, e.g. U.S. District Court for the District of Montana: derived from "
                "the feed (courts/names.py) unless an administrator set it.", max_length=200),
        ),
        migrations.RunPython(derive_names, migrations.RunPython.noop),
    ]
