"""Coverage, ASR error and labeling cost figures, on clips whose drafts and finals are known."""

from datetime import timedelta

import pytest
from django.utils import timezone

from labelhub.analytics.asr_error import (
    asr_error_by,
    clips_for_half_width,
    describe,
)
from labelhub.analytics.coverage import coverage_by_cell, coverage_gaps, coverage_over_time
from labelhub.analytics.labeling_cost import labeling_cost_by
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.text_metrics import edit_counts, normalise
from tests.analytics.factories import clip
from tests.factories import CampaignFactory, QuotaCellFactory, SpeakerFactory, UserFactory

pytestmark = pytest.mark.django_db

RETURNED = TranscriptRevision.Decision.RETURNED
APPROVED = TranscriptRevision.Decision.APPROVED


def by_group(rows):
    return {row.group: row for row in rows}


def test_normalising_ignores_case_punctuation_and_extra_spaces() -> None:
    assert normalise("  Turn ON,  the TV! ") == "turn on the tv"
    assert edit_counts(reference="Turn on the TV.", hypothesis="turn on the tv").word_edits == 0


def test_cer_ignores_spaces_so_korean_spacing_is_not_an_error() -> None:
    counts = edit_counts(reference="볼륨 올려 줘", hypothesis="볼륨올려줘")

    assert (counts.char_edits, counts.chars) == (0, 5)
    assert counts.word_edits == 3


def test_per_cell_wer_and_cer_equal_the_hand_computed_values() -> None:
    campaign = CampaignFactory(language="en")
    QuotaCellFactory(campaign=campaign, age_band="", gender="", dialect="jeolla")
    QuotaCellFactory(campaign=campaign, age_band="", gender="", dialect="standard")
    # jeolla: 1 word of 4 ("of" for "on"), 1 char of 11; then 1 inserted word of 2 and
    # 6 inserted chars of 8 ("please"). Corpus WER 2/6, CER 7/19.
    clip(campaign=campaign, dialect="jeolla", draft="turn of the tv", final="Turn on the TV.")
    clip(campaign=campaign, dialect="jeolla", draft="volume up please", final="volume up")
    clip(campaign=campaign, dialect="standard", draft="mute", final="Mute!")

    rows = by_group(asr_error_by(campaign=campaign, dimension="cell"))

    assert rows["jeolla"].wer.value == pytest.approx(2 / 6)
    assert rows["jeolla"].cer.value == pytest.approx(7 / 19)
    assert (rows["jeolla"].clips, rows["jeolla"].words, rows["jeolla"].chars) == (2, 6, 19)
    assert rows["standard"].wer.value == 0
    assert rows["standard"].cer.value == 0


def test_only_approved_clips_with_a_draft_are_measured() -> None:
    campaign = CampaignFactory(language="en")
    clip(campaign=campaign, draft="turn of the tv", final="turn on the tv")
    clip(campaign=campaign, draft="wrong", final="turn on the tv", status=Task.Status.SUBMITTED)
    clip(campaign=campaign, draft=None, final="turn on the tv")

    (row,) = asr_error_by(campaign=campaign, dimension="campaign")

    assert row.clips == 1
    assert row.wer.value == pytest.approx(1 / 4)


def test_the_draft_measured_is_the_newest_asr_draft_by_model() -> None:
    campaign = CampaignFactory(language="en")
    clip(campaign=campaign, draft="turn of the tv", final="turn on the tv", model="tiny")
    clip(campaign=campaign, draft="turn on the tv", final="turn on the tv", model="small")

    rows = by_group(asr_error_by(campaign=campaign, dimension="model"))

    assert rows["faster-whisper tiny"].wer.value == pytest.approx(0.25)
    assert rows["faster-whisper small"].wer.value == 0


def test_crossed_dimensions_group_by_every_value() -> None:
    campaign = CampaignFactory(language="ko")
    clip(
        campaign=campaign, dialect="jeolla", age_band="60s", draft="볼륨 올려", final="볼륨 올려 줘"
    )
    clip(campaign=campaign, dialect="jeolla", age_band="20s", draft="꺼 줘", final="꺼 줘")

    rows = by_group(asr_error_by(campaign=campaign, dimension="dialect+age_band"))

    assert set(rows) == {"jeolla / 60s", "jeolla / 20s"}
    assert rows["jeolla / 60s"].cer.value == pytest.approx(1 / 5)
    assert describe(rows["jeolla / 60s"], language="ko").startswith("jeolla / 60s: CER 20% ± ")


def test_confidence_intervals_shrink_as_samples_grow() -> None:
    small, large = CampaignFactory(language="en"), CampaignFactory(language="en")
    pattern = [("turn of the tv", "turn on the tv"), ("turn on the tv", "turn on the tv")]
    for campaign, repeats in ((small, 5), (large, 60)):
        for _ in range(repeats):
            for draft, final in pattern:
                clip(campaign=campaign, draft=draft, final=final)

    (few,) = asr_error_by(campaign=small, dimension="campaign")
    (many,) = asr_error_by(campaign=large, dimension="campaign")

    assert few.wer.value == many.wer.value == pytest.approx(1 / 8)
    assert few.wer.low <= few.wer.value <= few.wer.high
    assert many.wer.half_width < few.wer.half_width / 2
    assert many.cer.half_width < few.cer.half_width


def test_the_bootstrap_is_seeded_so_the_same_data_gives_the_same_interval() -> None:
    campaign = CampaignFactory(language="en")
    for draft in ("turn of the tv", "turn on the tv", "turn on tv", "tv on"):
        clip(campaign=campaign, draft=draft, final="turn on the tv")

    first = asr_error_by(campaign=campaign, dimension="campaign")[0].wer
    second = asr_error_by(campaign=campaign, dimension="campaign")[0].wer

    assert first == second
    assert first.low < first.value < first.high


def test_clips_needed_for_a_half_width_follow_the_normal_approximation() -> None:
    # (1.96 * 0.2 / 0.05)^2 = 61.47 -> 62 clips
    assert clips_for_half_width(clip_sd=0.2, half_width=0.05) == 62


def test_unknown_dimensions_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown dimension"):
        asr_error_by(campaign=CampaignFactory(), dimension="shoe_size")


def test_coverage_counts_collected_and_approved_against_target() -> None:
    campaign = CampaignFactory()
    QuotaCellFactory(
        campaign=campaign,
        age_band="60s",
        gender="",
        target_clips=4,
        target_minutes=1.0,
        target_speakers=2,
    )
    speaker = SpeakerFactory(campaign=campaign, age_band="60s")
    clip(campaign=campaign, speaker=speaker, seconds=30)
    clip(campaign=campaign, speaker=speaker, seconds=30, status=Task.Status.OPEN)
    clip(campaign=campaign, age_band="60s", seconds=30, recording_status=Recording.Status.REJECTED)
    withdrawn = SpeakerFactory(campaign=campaign, age_band="60s", withdrawn_at=timezone.now())
    clip(campaign=campaign, speaker=withdrawn, seconds=30)
    clip(campaign=campaign, age_band="20s", seconds=30)

    (row,) = coverage_by_cell(campaign=campaign)

    assert (row.collected.clips, row.collected.minutes, row.collected.speakers) == (2, 1.0, 1)
    assert (row.approved.clips, row.approved.minutes, row.approved.speakers) == (1, 0.5, 1)
    assert (row.missing.clips, row.missing.minutes, row.missing.speakers) == (3, 0.5, 1)
    assert not row.is_filled


def test_gaps_list_only_unfilled_cells_emptiest_first() -> None:
    campaign = CampaignFactory()
    full = QuotaCellFactory(
        campaign=campaign,
        age_band="20s",
        gender="",
        target_clips=1,
        target_minutes=0,
        target_speakers=1,
    )
    half = QuotaCellFactory(
        campaign=campaign,
        age_band="30s",
        gender="",
        target_clips=2,
        target_minutes=0,
        target_speakers=0,
    )
    empty = QuotaCellFactory(
        campaign=campaign,
        age_band="40s",
        gender="",
        target_clips=2,
        target_minutes=0,
        target_speakers=0,
    )
    clip(campaign=campaign, age_band="20s")
    clip(campaign=campaign, age_band="30s")

    gaps = coverage_gaps(campaign=campaign)

    assert [row.cell for row in gaps] == [empty, half]
    assert full not in [row.cell for row in gaps]


def test_coverage_over_time_adds_up_approved_minutes_per_day() -> None:
    campaign = CampaignFactory()
    first = clip(campaign=campaign, seconds=60)
    second = clip(campaign=campaign, seconds=120)
    three_days_ago = timezone.now() - timedelta(days=2)
    TranscriptRevision.objects.filter(recording=first).update(created_at=three_days_ago)

    rows = coverage_over_time(campaign=campaign)

    assert [row.minutes for row in rows] == [1.0, 0.0, 2.0]
    assert [row.cumulative_minutes for row in rows] == [1.0, 1.0, 3.0]
    assert second.pk


def test_labeling_cost_per_labeler_and_for_the_campaign() -> None:
    campaign = CampaignFactory()
    mina, joon = UserFactory(username="mina"), UserFactory(username="joon")
    clip(
        campaign=campaign,
        labeler=mina,
        seconds=30,
        work_seconds=60,
        draft="tv of",
        final="tv on",
        decisions=(RETURNED, APPROVED),
    )
    clip(
        campaign=campaign,
        labeler=mina,
        seconds=30,
        work_seconds=30,
        draft="mute",
        final="Mute.",
        decisions=(APPROVED,),
        double="mute",
    )
    clip(
        campaign=campaign,
        labeler=joon,
        seconds=60,
        work_seconds=300,
        draft="a",
        final="b",
        double="c",
    )

    rows = by_group(labeling_cost_by(campaign=campaign, by="labeler"))

    assert rows["mina"].seconds_per_audio_minute == 90.0
    assert rows["mina"].edit_rate == 0.5
    assert rows["mina"].return_rate == pytest.approx(1 / 3)
    assert rows["mina"].double_cer == 0
    assert rows["joon"].seconds_per_audio_minute == 300.0
    assert rows["joon"].double_cer == 1.0
    whole = rows[campaign.name]
    assert whole.seconds_per_audio_minute == 195.0
    assert whole.edit_rate == pytest.approx(2 / 3)
    assert whole.double_cer == pytest.approx(1 / 5)
