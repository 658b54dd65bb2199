# Exclusion now lives in recordings (its 0010 takes over the same table): drop it from releases'
# state only, so the table and its rows stay.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("releases", "0011_verbose_names"),
        ("recordings", "0010_exclusion"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Exclusion")],
            database_operations=[],
        ),
    ]
