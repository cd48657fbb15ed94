"""Fewer indexes on the tables a roster import writes a million rows into.

- Filer.email and PacerAccount.username become unique through a UniqueConstraint instead of
  unique=True: on PostgreSQL, Django pairs a unique CharField with an extra case-sensitive LIKE
  index (varchar_pattern_ops), which no query uses — the admin searches through the upper-case
  prefix indexes of 0004. The uniqueness, its index and the form message are unchanged.
- PacerAccount.account_type loses its two indexes (plain and LIKE); a partial index on the shared
  accounts, the few the admin filters for, replaces them. Individual accounts are nearly all rows.
16 indexes become 13 on the three tables, and an individual account's rows write 12 of them:
four fewer writes per imported row.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_bulk_write_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='filer',
            name='email',
            field=models.EmailField(help_text='Where notices go; stored in lower case.', max_length=254),
        ),
        migrations.AlterField(
            model_name='paceraccount',
            name='account_type',
            field=models.CharField(choices=[('individual', 'Individual'), ('shared', 'Shared firm account')], default='individual', help_text="The holder's own account, or a firm's account shared by several filers (never to be linked to a CM/ECF login).", max_length=16),
        ),
        migrations.AlterField(
            model_name='paceraccount',
            name='username',
            field=models.CharField(help_text='PACER username (the login only; no secret is ever kept).', max_length=80),
        ),
        migrations.AddIndex(
            model_name='paceraccount',
            index=models.Index(condition=models.Q(('account_type', 'shared')), fields=['account_type'], name='pacer_shared'),
        ),
        migrations.AddConstraint(
            model_name='filer',
            constraint=models.UniqueConstraint(fields=('email',), name='filer_email_unique'),
        ),
        migrations.AddConstraint(
            model_name='paceraccount',
            constraint=models.UniqueConstraint(fields=('username',), name='pacer_username_unique'),
        ),
    ]
