"""CM/ECF accounts: the filer index becomes (filer, court) — the same writes, and the court page's
search finds a matching filer's accounts at one court from the index alone (no heap visit per account)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0009_account_search_trgm'),
        ('courts', '0004_court_display_names'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='cmecfaccount',
            index=models.Index(fields=['filer', 'court'], name='cmecf_filer_court'),
        ),
        migrations.AlterField(
            model_name='cmecfaccount',
            name='filer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='cmecf_accounts', to='accounts.filer'),
        ),
    ]
