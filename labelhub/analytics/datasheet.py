"""The analytics figures a release datasheet prints, as plain JSON-able values."""

from collections.abc import Collection

from labelhub.analytics.asr_error import asr_error_by, headline_unit
from labelhub.analytics.labeling_cost import labeling_cost_by
from labelhub.analytics.sums import campaign_sums
from labelhub.analytics.tables import error_row
from labelhub.campaigns.models import Campaign

DATASHEET_DIMENSIONS = ("campaign", "cell", "age_band", "gender", "dialect", "environment", "model")


def datasheet_figures(*, campaign: Campaign, recording_ids: Collection[int] | None = None) -> dict:
    """ASR error (WER and CER with 95% bootstrap intervals) per dimension, labeling cost and
    agreement, for the campaign's clips or only for `recording_ids` (a release's items).

    Returns {"headline_unit": "cer"|"wer", "asr_error": {dimension: [row, ...]},
    "labeling": {...}}; rows are those of the asr-error table (percentages).
    """
    facts = campaign_sums(campaign=campaign, recording_ids=recording_ids)
    errors = {
        dimension: [
            error_row(row)
            for row in asr_error_by(campaign=campaign, dimension=dimension, facts=facts)
        ]
        for dimension in DATASHEET_DIMENSIONS
    }
    whole = labeling_cost_by(campaign=campaign, by="labeler", facts=facts)[0]
    labeling = {
        "labeled_clips": whole.labeled_clips,
        "seconds_per_audio_minute": whole.seconds_per_audio_minute,
        "edit_rate": whole.edit_rate,
        # Share of review decisions, as the dashboard shows it (compare clips_returned_in_review).
        "review_decisions_returned": whole.return_rate,
        "double_transcribed_clips": whole.double_clips,
        "double_transcription_cer": whole.double_cer,
    }
    return {
        "headline_unit": headline_unit(campaign.language),
        "asr_error": errors,
        "labeling": labeling,
    }
