import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils.crypto import salted_hmac

# The same key salt as labelhub.releases.services.IP_HASH_SALT, frozen here as migrations are.
IP_HASH_SALT = "labelhub.releases.download-ip"


def hash_logged_ips(apps, schema_editor):
    """Old rows kept the raw IP: keep only its keyed hash. Their fetcher is unknown (null)."""
    DownloadEvent = apps.get_model("releases", "DownloadEvent")
    for event in DownloadEvent.objects.exclude(ip_address=None).only("pk", "ip_address"):
        digest = salted_hmac(IP_HASH_SALT, event.ip_address, algorithm="sha256").hexdigest()
        DownloadEvent.objects.filter(pk=event.pk).update(ip_sha256=digest)


class Migration(migrations.Migration):
    dependencies = [
        ("releases", "0005_job_attempts_heartbeats"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="downloadevent",
            name="fetched_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="downloadevent",
            name="ip_sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(hash_logged_ips, migrations.RunPython.noop),
        migrations.RemoveField(model_name="downloadevent", name="ip_address"),
    ]
