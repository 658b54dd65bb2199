"""``manage.py storage_bucket_ensure``: creates the S3 bucket on first start (docker compose)."""

from django.core.management.base import BaseCommand

from labelhub.storage import storage_bucket_ensure


class Command(BaseCommand):
    help = "Create the S3_BUCKET when STORAGE_BACKEND=s3 and it does not exist yet."

    def handle(self, *args: object, **options: object) -> None:
        if storage_bucket_ensure():
            self.stdout.write("bucket ready")
        else:
            self.stdout.write("local storage: no bucket to create")
