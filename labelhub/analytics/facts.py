"""One pass over a campaign's clips, gathering what every analytics figure is computed from.

The figures are computed on the fly from the revision chain (no per-clip table to keep in step):
a campaign of tens of thousands of clips is a handful of queries and a few hundred milliseconds.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from labelhub.campaigns.models import Campaign, QuotaCell
from labelhub.labeling.models import HUMAN_KINDS, Task, TranscriptRevision
from labelhub.recordings.models import Recording

CELL_FIELDS = ("age_band", "gender", "region", "dialect", "speech_style")


@dataclass
class ClipFacts:
    recording_id: int
    speaker_id: int
    speaker_code: str
    age_band: str
    gender: str
    region: str
    dialect: str
    speech_style: str
    environment: str
    channel: str
    device: str
    seconds: float
    # Collected: ingested fine and the speaker has not withdrawn.
    collected: bool
    approved: bool
    approved_at: datetime | None = None
    draft_text: str | None = None
    draft_model: str = ""
    final_text: str | None = None
    # The newest labeler edit, its author, and the labeler seconds spent on the clip.
    labeler_text: str | None = None
    labeler_id: int | None = None
    labeler_name: str = ""
    work_seconds: float = 0.0
    # The first labeler edit, made blind like the second transcription it is compared with.
    first_labeler_text: str | None = None
    double_text: str | None = None
    review_decisions: list[str] = field(default_factory=list)

    def value(self, dimension: str) -> str:
        return getattr(self, dimension)


def clip_in_cell(clip: ClipFacts, cell: QuotaCell) -> bool:
    """A clip belongs to a cell when it matches every non-blank field of the cell."""
    return all(
        not getattr(cell, name) or getattr(cell, name) == clip.value(name) for name in CELL_FIELDS
    )


def campaign_clips(*, campaign: Campaign) -> list[ClipFacts]:
    recordings = (
        Recording.objects.filter(campaign=campaign)
        # A long-form source is counted through its segments; a removed segment not at all.
        .exclude(kind=Recording.Kind.SOURCE)
        .exclude(status=Recording.Status.REMOVED)
        .select_related("speaker", "environment", "channel")
        .order_by("id")
    )
    statuses = dict(
        Task.objects.filter(recording__campaign=campaign).values_list("recording_id", "status")
    )
    clips = {}
    for rec in recordings:
        speaker = rec.speaker
        clips[rec.pk] = ClipFacts(
            recording_id=rec.pk,
            speaker_id=speaker.pk,
            speaker_code=speaker.code,
            age_band=speaker.age_band,
            gender=speaker.gender,
            region=speaker.region,
            dialect=speaker.dialect,
            speech_style=rec.speech_style,
            environment=rec.environment.name if rec.environment else "",
            channel=rec.channel.name if rec.channel else "",
            device=rec.device,
            seconds=rec.duration_seconds or 0.0,
            collected=rec.status == Recording.Status.READY and speaker.withdrawn_at is None,
            approved=False,
        )
        clips[rec.pk].approved = (
            clips[rec.pk].collected and statuses.get(rec.pk) == Task.Status.APPROVED
        )
    _add_revisions(campaign, clips)
    return list(clips.values())


def _add_revisions(campaign: Campaign, clips: dict[int, ClipFacts]) -> None:
    revisions = (
        TranscriptRevision.objects.filter(recording__campaign=campaign)
        .select_related("author")
        .order_by("recording_id", "number")
    )
    seconds: dict[int, float] = defaultdict(float)
    kind = TranscriptRevision.Kind
    for rev in revisions:
        clip = clips.get(rev.recording_id)
        if clip is None:
            continue
        # Walking in number order, the last one of each kind seen is the newest.
        if rev.kind == kind.ASR_DRAFT:
            clip.draft_text = rev.text
            clip.draft_model = f"{rev.engine} {rev.model_name}".strip()
        elif rev.kind == kind.DOUBLE:
            clip.double_text = rev.text
        if rev.kind in HUMAN_KINDS:
            clip.final_text = rev.text
            if clip.approved:
                clip.approved_at = rev.created_at
        if rev.kind == kind.LABELER_EDIT:
            if clip.first_labeler_text is None:
                clip.first_labeler_text = rev.text
            clip.labeler_text = rev.text
            clip.labeler_id = rev.author_id
            clip.labeler_name = rev.author.username if rev.author else ""
            seconds[rev.recording_id] += rev.work_seconds or 0.0
        if rev.kind == kind.REVIEW and rev.decision:
            clip.review_decisions.append(rev.decision)
    for recording_id, total in seconds.items():
        clips[recording_id].work_seconds = total
