# Exclusion moves from releases to recordings (state only): analytics writes exclusions and
# releases honours them, so the model sits below both. The table keeps its name
# (releases_exclusion) and its rows; releases 0012 drops the model from releases' state.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recordings", "0009_verbose_names"),
        ("releases", "0011_verbose_names"),
        ("speakers", "0008_verbose_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Exclusion",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "reason",
                            models.CharField(
                                choices=[
                                    ("bad_audio", "Bad audio"),
                                    ("misread", "Misread prompt"),
                                    ("duplicate_speaker", "Duplicate speaker"),
                                    ("other", "Other"),
                                ],
                                max_length=20,
                                verbose_name="reason",
                            ),
                        ),
                        ("note", models.TextField(blank=True, verbose_name="note")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("lifted_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "lifted_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "recording",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="exclusions",
                                to="recordings.recording",
                            ),
                        ),
                        (
                            "speaker",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="exclusions",
                                to="speakers.speaker",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "exclusion",
                        "verbose_name_plural": "exclusions",
                        "db_table": "releases_exclusion",
                        "ordering": ["-created_at"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("recording__isnull", False), ("speaker__isnull", True)),
                                    models.Q(("recording__isnull", True), ("speaker__isnull", False)),
                                    _connector="OR",
                                ),
                                name="exclusion_one_target",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
