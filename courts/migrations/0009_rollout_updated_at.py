from django.db import migrations, models
import django.utils.timezone


class Migration(migrations.Migration):

    dependencies = [
        ('courts', '0008_golive_change_emergency_instructions'),
    ]

    operations = [
        migrations.AddField(
            model_name='rollout',
            name='updated_at',
            # A stored rollout was last changed at some moment before now: the feeds' Last-Modified
            # never goes back.
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
    ]
