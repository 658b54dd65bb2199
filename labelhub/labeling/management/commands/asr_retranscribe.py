"""Re-drafts a campaign's recordings with another ASR engine or model. Earlier drafts and
human revisions stay; the new draft is appended to each transcript's chain."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from asr import AsrError
from labelhub.campaigns.models import Campaign
from labelhub.labeling.draft_common import AsrChoice, DraftInProgress
from labelhub.labeling.drafts import (
    engine_for,
    recording_pretranscribe,
    recordings_to_retranscribe,
)
from labelhub.labeling.models import TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.recordings.services import transcribe_enqueue


class Command(BaseCommand):
    help = "Re-transcribe a campaign's ready recordings with an ASR engine/model, showing progress."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("campaign", type=int, help="campaign id")
        parser.add_argument("--engine", help="ASR engine (default: ASR_ENGINE)")
        parser.add_argument("--model", help="ASR model (default: ASR_MODEL)")
        parser.add_argument(
            "--include-labeled",
            action="store_true",
            help="also recordings people have corrected (to compare models against their text)",
        )
        parser.add_argument(
            "--inline", action="store_true", help="transcribe here instead of queueing for workers"
        )
        parser.add_argument("--wait", type=int, default=0, help="seconds to wait for workers")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"no campaign with id {options['campaign']}")
        choice = AsrChoice.from_settings(options["engine"], options["model"])
        try:
            model_name = engine_for(choice, campaign).model
        except AsrError as error:
            raise CommandError(str(error)) from error
        ids = recordings_to_retranscribe(
            campaign=campaign, choice=choice, include_labeled=options["include_labeled"]
        )
        self.stdout.write(f"{len(ids)} recordings to draft with {choice.engine} {model_name}")
        if options["inline"]:
            self._inline(ids, choice)
        else:
            for recording in Recording.objects.filter(pk__in=ids):
                transcribe_enqueue(recording=recording, engine=choice.engine, model=choice.model)
            self._follow(ids, choice.engine, model_name, options["wait"])

    def _inline(self, ids: list[int], choice: AsrChoice) -> None:
        for done, recording_id in enumerate(ids, start=1):
            try:
                recording_pretranscribe(
                    recording_id=recording_id, engine=choice.engine, model=choice.model
                )
            except (AsrError, DraftInProgress) as error:
                self.stderr.write(f"recording {recording_id}: {error}")
            self.stdout.write(f"  {done}/{len(ids)} drafted")

    def _follow(self, ids: list[int], engine: str, model_name: str, wait: int) -> None:
        deadline = time.monotonic() + wait
        drafted = TranscriptRevision.objects.filter(
            recording_id__in=ids,
            kind=TranscriptRevision.Kind.ASR_DRAFT,
            engine=engine,
            model_name=model_name,
        )
        while True:
            done = drafted.values("recording_id").distinct().count()
            self.stdout.write(f"  {done}/{len(ids)} drafted")
            if done >= len(ids) or time.monotonic() >= deadline:
                return
            time.sleep(2)
