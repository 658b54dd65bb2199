"""Requeues or fails every long job past its time limit, once (Celery beat runs the same)."""

from django.core.management.base import BaseCommand

from labelhub.jobs import jobs_reap


class Command(BaseCommand):
    help = "Requeue or fail long jobs (uploads, ingest, ASR, releases, audio deletions) gone stale."

    def handle(self, *args: object, **options: object) -> None:
        report = jobs_reap()
        for outcome, counts in report.items():
            summary = ", ".join(f"{kind}={count}" for kind, count in sorted(counts.items()))
            self.stdout.write(f"{outcome}: {summary or 'none'}")
