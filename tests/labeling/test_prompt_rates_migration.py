"""labeling 0008 rewrites the stored prompt WER/CER with labelhub.text_metrics; reversing it
leaves them alone. Run with MigrationExecutor on the real PostgreSQL test database."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from labelhub.campaigns.models import Prompt
from tests.factories import CampaignFactory, RecordingFactory, SpeakerFactory

BEFORE = [("labeling", "0007_verbose_names")]
AFTER = [("labeling", "0008_recompute_prompt_rates")]


def migrate(targets: list[tuple[str, str]]):
    """Migrates the test database to `targets`; returns the historical apps there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()  # the applied set changed
    return executor.loader.project_state(targets).apps


@pytest.fixture
def at_0007(transactional_db):
    apps = migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_stored_prompt_rates_are_recomputed_and_reversing_keeps_them(at_0007) -> None:
    Revision = at_0007.get_model("labeling", "TranscriptRevision")
    # Recordings and prompts are other apps' tables, which this migration does not touch.
    campaign = CampaignFactory(language="ko-KR")
    korean = Prompt.objects.create(campaign=campaign, text="거실 불 좀 켜 줘.")
    english = Prompt.objects.create(campaign=campaign, text="Turn on the TV.")
    apostrophe = Prompt.objects.create(campaign=campaign, text="Don't stop now.")
    spaced = RecordingFactory(speaker=SpeakerFactory(campaign=campaign), prompt=korean)
    cased = RecordingFactory(speaker=SpeakerFactory(campaign=campaign), prompt=english)
    contracted = RecordingFactory(speaker=SpeakerFactory(campaign=campaign), prompt=apostrophe)
    unprompted = RecordingFactory(speaker=SpeakerFactory(campaign=campaign), prompt=None)

    def revision(recording, number: int, kind: str, text: str, wer, cer):
        return Revision.objects.create(
            recording_id=recording.pk, number=number, kind=kind, text=text,
            prompt_wer=wer, prompt_cer=cer,
        )  # fmt: skip

    # What workers/asr/wer.py stored: jiwer's CER over "거실 불 좀 켜 줘" counted the spaces.
    draft = revision(spaced, 1, "asr_draft", "거실 불좀 꺼줘", 0.8, 0.3333)
    # The old normaliser kept apostrophes: "don't" and "dont" were two different words.
    english_draft = revision(contracted, 1, "asr_draft", "dont stop now", 0.3333, 0.0909)
    # A labeler edit stored only a CER; it stays without a WER.
    edit = revision(spaced, 2, "labeler_edit", "거실 불 좀 켜 줘", None, 0.5)
    review = revision(cased, 1, "review", "turn on the tv", None, 0.0)
    unscored = revision(cased, 2, "labeler_edit", "turn off the tv", None, None)
    no_prompt = revision(unprompted, 1, "asr_draft", "anything", 0.9, 0.9)

    after = migrate(AFTER).get_model("labeling", "TranscriptRevision")

    def rates(row) -> tuple[float | None, float | None]:
        fresh = after.objects.get(pk=row.pk)
        return fresh.prompt_wer, fresh.prompt_cer

    # 거실 불 좀 켜 줘 vs 거실 불좀 꺼줘: words 거실/불/좀/켜/줘 vs 거실/불좀/꺼줘 (1 kept of 5
    # needs 4 edits); characters 켜 -> 꺼 over 6 syllables, spaces ignored.
    assert rates(draft) == (0.8, round(1 / 6, 4))
    assert rates(english_draft) == (0.0, 0.0)
    assert rates(edit) == (None, 0.0)
    assert rates(review) == (None, 0.0)
    assert rates(unscored) == (None, None)  # nothing was stored, nothing is invented
    assert rates(no_prompt) == (0.9, 0.9)  # no prompt: the figures are not about a prompt

    before = migrate(BEFORE).get_model("labeling", "TranscriptRevision")
    assert before.objects.get(pk=draft.pk).prompt_cer == round(1 / 6, 4)  # reverse: a no-op
