"""What every analytics figure is computed from: one ClipFact row per recording, refreshed
from the revision chain when a clip changes (clip_fact_refresh), summed in SQL on page view.

The chain walk below runs per batch of changed clips, never per page view: a campaign of a
million clips would take minutes to walk.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Max, QuerySet

from labelhub.analytics.models import ClipFact, StaleClipFact
from labelhub.analytics.rollups import ROLLUPS, rollups_refresh
from labelhub.campaigns.models import Campaign, QuotaCell
from labelhub.db_ids import among
from labelhub.labeling.models import HUMAN_KINDS, Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.text_metrics import edit_counts, normalise

CELL_FIELDS = ("age_band", "gender", "region", "dialect", "speech_style")
REFRESH_BATCH = 2000
# Marks a drain takes per transaction: the marks stay locked until their facts are written, and
# a clip marked again meanwhile waits for that commit.
DRAIN_BATCH = 200


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


def in_cell(values: dict[str, str], cell: QuotaCell) -> bool:
    """Clips with these cell-field values belong to the cell when they match every non-blank
    field of the cell."""
    return all(
        not getattr(cell, name) or getattr(cell, name) == values[name] for name in CELL_FIELDS
    )


def _clip_facts(recordings: QuerySet[Recording]) -> dict[int, ClipFacts]:
    """The chain-walked facts of `recordings`, in four queries whatever their number."""
    recordings = recordings.select_related("speaker", "environment", "channel")
    statuses = dict(
        Task.objects.filter(recording__in=recordings).values_list("recording_id", "status")
    )
    clips = {}
    for rec in recordings:
        speaker = rec.speaker
        collected = rec.status == Recording.Status.READY and speaker.withdrawn_at is None
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
            collected=collected,
            approved=collected and statuses.get(rec.pk) == Task.Status.APPROVED,
        )
    _add_revisions(clips)
    return clips


def _is_counted(recording: Recording) -> bool:
    # A long-form source is counted through its segments; a removed segment not at all.
    return not (
        recording.kind == Recording.Kind.SOURCE or recording.status == Recording.Status.REMOVED
    )


def _fact_row(clip: ClipFacts, recording: Recording) -> ClipFact:
    fact = ClipFact(
        recording_id=clip.recording_id,
        campaign_id=recording.campaign_id,
        counted=_is_counted(recording),
        **{name: getattr(clip, name) for name in _COPIED},
        has_draft=clip.draft_text is not None,
        draft_text=clip.draft_text or "",
        final_text=clip.final_text or "",
        labeled=clip.labeler_text is not None,
        review_decisions=len(clip.review_decisions),
        returned=clip.review_decisions.count(TranscriptRevision.Decision.RETURNED),
    )
    if clip.approved and clip.draft_text is not None and clip.final_text is not None:
        counts = edit_counts(reference=clip.final_text, hypothesis=clip.draft_text)
        fact.measured = True
        fact.word_edits, fact.words = counts.word_edits, counts.words
        fact.char_edits, fact.chars = counts.char_edits, counts.chars
        fact.clip_wer, fact.clip_cer = counts.wer, counts.cer
    if clip.approved and clip.draft_text is not None:
        fact.edited = normalise(clip.final_text or "") != normalise(clip.draft_text)
    if fact.labeled and clip.double_text is not None and clip.first_labeler_text is not None:
        double = edit_counts(reference=clip.first_labeler_text, hypothesis=clip.double_text)
        fact.has_double = True
        fact.double_char_edits, fact.double_chars = double.char_edits, double.chars
    return fact


_COPIED = (
    *("speaker_id", "speaker_code", *CELL_FIELDS, "environment", "channel", "device"),
    *("seconds", "collected", "approved", "approved_at", "draft_model"),
    *("labeler_name", "work_seconds"),
)


def clip_fact_refresh(recording_ids: Iterable[int]) -> int:
    """Rewrites the facts of the given recordings from their current state; idempotent.

    A recording that no longer exists loses its row. Works in batches of REFRESH_BATCH, a
    handful of queries each. Returns the number of rows written.
    """
    written = 0
    for batch in _batches(sorted(set(recording_ids)), REFRESH_BATCH):
        recordings = {rec.pk: rec for rec in Recording.objects.filter(pk__in=batch)}
        clips = _clip_facts(Recording.objects.filter(pk__in=batch).order_by("id"))
        rows = [_fact_row(clip, recordings[pk]) for pk, clip in clips.items()]
        with transaction.atomic():
            old = ClipFact.objects.filter(recording_id__in=batch)
            speakers = set(old.values_list("speaker_id", flat=True))
            old.delete()
            ClipFact.objects.bulk_create(rows)
            rollups_refresh(speakers | {row.speaker_id for row in rows})
        written += len(rows)
    return written


def stale_facts_drain() -> int:
    """Rewrites the facts of every marked recording and removes the marks; returns how many.

    Each batch takes its marks (FOR UPDATE SKIP LOCKED: drains running at once take different
    ones) and rewrites their facts in one transaction, so a drain killed midway leaves its
    marks for the next. A clip marked after the batch read the marks keeps its mark, and the
    commit that wrote it queued another drain (dispatch.facts_drain_started).
    """
    drained = 0
    while True:
        with transaction.atomic():
            marks = StaleClipFact.objects.select_for_update(no_key=True, skip_locked=True).order_by(
                "pk"
            )
            ids = list(marks.values_list("pk", flat=True)[:DRAIN_BATCH])
            if not ids:
                return drained
            StaleClipFact.objects.filter(pk__in=ids).delete()
            clip_fact_refresh(ids)
        drained += len(ids)


def facts_rebuild(
    *, campaign: Campaign | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Deletes and rewrites the facts of every recording (or the campaign's), batch by batch."""
    recordings = Recording.objects.all() if campaign is None else campaign.recordings.all()
    facts = (
        ClipFact.objects.all() if campaign is None else ClipFact.objects.filter(campaign=campaign)
    )
    facts.delete()
    for model in ROLLUPS:
        rollups = model._default_manager.all()
        (rollups if campaign is None else rollups.filter(campaign=campaign)).delete()
    ids = list(recordings.order_by("pk").values_list("pk", flat=True))
    written = 0
    for batch in _batches(ids, REFRESH_BATCH * 5):
        written += clip_fact_refresh(batch)
        if progress is not None:
            progress(min(len(ids), written), len(ids))
    return written


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def campaign_clips(*, campaign: Campaign) -> list[ClipFacts]:
    """The chain-walked facts of the campaign's counted clips (for checks, not page views)."""
    recordings = (
        Recording.objects.filter(campaign=campaign)
        .exclude(kind=Recording.Kind.SOURCE)
        .exclude(status=Recording.Status.REMOVED)
        .order_by("id")
    )
    return list(_clip_facts(recordings).values())


def campaign_facts_ensure(*, campaign: Campaign) -> None:
    """Writes the facts of the campaign's recordings newer than its newest fact that have none
    yet (written by bulk loads or fixtures that bypass the services): two index lookups when
    there are none. Older gaps are analytics_rebuild_facts' job; counting a million recordings
    against a million facts on every page view costs more than a second."""
    newest = ClipFact.objects.filter(campaign=campaign).aggregate(newest=Max("recording_id"))
    newer = Recording.objects.filter(campaign=campaign, pk__gt=newest["newest"] or 0)
    missing = list(newer.filter(fact__isnull=True).values_list("pk", flat=True))
    if missing:
        clip_fact_refresh(missing)


def _add_revisions(clips: dict[int, ClipFacts]) -> None:
    revisions = (
        TranscriptRevision.objects.filter(recording_id__in=list(clips))
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


def campaign_facts(
    *, campaign: Campaign, recording_ids: Iterable[int] | None = None
) -> QuerySet[ClipFact]:
    """The facts of the campaign's counted clips (or of those among `recording_ids`)."""
    campaign_facts_ensure(campaign=campaign)
    facts = ClipFact.objects.filter(campaign=campaign, counted=True)
    if recording_ids is not None:
        facts = facts.filter(recording_id__in=among(recording_ids))
    return facts
