"""Rebuilds the clip facts the analytics figures are summed from, from the revision chains,
and the per-speaker rollups of them the dashboard reads (analytics.rollups).

    manage.py analytics_rebuild_facts [--campaign ID]

For a first fill after the table is added, or after a bulk change that bypassed the services.
Batched (facts.REFRESH_BATCH recordings per batch, a handful of queries each); safe to rerun.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from labelhub.analytics.facts import facts_rebuild
from labelhub.campaigns.models import Campaign


class Command(BaseCommand):
    help = (
        "Rebuild the analytics clip facts and their rollups from scratch (all campaigns, or one)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", type=int, help="only this campaign's clips")

    def handle(self, *args: object, campaign: int | None = None, **options: object) -> None:
        chosen = None
        if campaign is not None:
            chosen = Campaign.objects.filter(pk=campaign).first()
            if chosen is None:
                raise CommandError(f"no campaign with id {campaign}")

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"{done}/{total} recordings")

        written = facts_rebuild(campaign=chosen, progress=progress)
        self.stdout.write(self.style.SUCCESS(f"rebuilt the facts of {written} recordings"))
