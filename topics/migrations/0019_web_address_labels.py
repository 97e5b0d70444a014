"""References' and suggested references' `url` is labelled "web address" (forms, admin).

A label only: the state changes, the database does not (no AlterField runs), so the
old version keeps serving while it is applied.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("topics", "0018_notification_permission"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="reference",
                    name="url",
                    field=models.URLField(max_length=1000, unique=True, verbose_name="web address"),
                ),
                migrations.AlterField(
                    model_name="referencesuggestion",
                    name="url",
                    field=models.URLField(max_length=1000, verbose_name="web address"),
                ),
            ],
            database_operations=[],
        ),
    ]
