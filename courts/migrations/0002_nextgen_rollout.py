from django.db import migrations


def create_nextgen(apps, schema_editor):
    Rollout = apps.get_model("courts", "Rollout")
    Rollout.objects.get_or_create(slug="nextgen", defaults={"name": "NextGen CM/ECF", "is_current": True})


class Migration(migrations.Migration):
    dependencies = [("courts", "0001_initial")]
    operations = [migrations.RunPython(create_nextgen, migrations.RunPython.noop)]
