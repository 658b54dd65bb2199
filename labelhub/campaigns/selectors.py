"""Reads for campaign planning, scoped by who asks."""

from dataclasses import dataclass

from django.db.models import Count, F, FloatField, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Cast, Greatest

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign, LegalReview, Prompt, QuotaCell
from labelhub.recordings.models import Recording
from labelhub.speakers.models import ConsentRecord, Speaker


def campaign_list(*, user: User) -> QuerySet[Campaign]:
    """Campaigns are the vendor's planning: PMs see them all, nobody else sees any."""
    if not (user.is_authenticated and user.is_pm):
        return Campaign.objects.none()
    return Campaign.objects.select_related("client", "parent", "legal_review").annotate(
        prompt_count=Count("prompts", distinct=True)
    )


def campaign_get(*, user: User, campaign_id: int) -> Campaign | None:
    return campaign_list(user=user).filter(pk=campaign_id).first()


def campaigns_open_to(*, user: User) -> QuerySet[Campaign]:
    """Campaigns the user may work on: those listing them, and those listing nobody.

    The one definition of campaign membership: claims (labelhub.labeling) and reads of
    recordings, audio, peaks and history (labelhub.recordings) both scope by it. PMs oversee
    every campaign and can never be listed (only labelers and reviewers can), so they are not
    scoped; anyone else outside the labeling staff works on none.
    """
    if not user.is_authenticated or not user.is_labeling_staff:
        return Campaign.objects.none()
    if user.is_pm:
        return Campaign.objects.all()
    members = Campaign.labelers.through.objects
    return Campaign.objects.filter(
        ~Q(pk__in=members.values("campaign_id"))
        | Q(pk__in=members.filter(user_id=user.pk).values("campaign_id"))
    )


def legal_review_for(*, campaign: Campaign) -> LegalReview:
    """The campaign's checklist; an unsaved blank one until the first answer is saved."""
    return LegalReview.objects.filter(campaign=campaign).first() or LegalReview(campaign=campaign)


def prompt_next_for(*, speaker: Speaker) -> Prompt | None:
    """The prompt this speaker should record next, or None when they have recorded them all.

    Prompts the speaker already has a recording of (other than a rejected one) are skipped. Of
    the rest, the least covered comes first: non-rejected recordings of withdrawn speakers do not
    count, and coverage is relative to the prompt's recordings_needed. Ties go to the lowest id,
    so every speaker walks the script in its order. Prompts already fully covered come last but
    are still handed out: the quota cells, not the prompts, decide when collection stops.
    """
    kept = ~Q(recordings__status=Recording.Status.REJECTED) & Q(
        recordings__speaker__withdrawn_at__isnull=True
    )
    recorded_by_speaker = Recording.objects.filter(speaker=speaker).exclude(
        status=Recording.Status.REJECTED
    )
    return (
        Prompt.objects.filter(campaign_id=speaker.campaign_id)
        .exclude(pk__in=recorded_by_speaker.filter(prompt__isnull=False).values("prompt_id"))
        .annotate(
            kept_recordings=Count("recordings", filter=kept),
            coverage=Cast(F("kept_recordings"), FloatField())
            / Cast(Greatest(F("recordings_needed"), 1), FloatField()),
        )
        .order_by("coverage", "id")
        .first()
    )


# --- what the campaign page lists ---------------------------------------------------------------


def prompts_with_recording_counts(*, campaign: Campaign) -> QuerySet[Prompt]:
    """Prompts in script order, each with its recordings that count (kept, of current speakers).

    `recorded`: every such recording; `ready`: those that passed ingest.
    """
    kept = Q(recordings__speaker__withdrawn_at__isnull=True) & ~Q(
        recordings__status__in=[Recording.Status.REJECTED, Recording.Status.REMOVED]
    )
    return (
        Prompt.objects.filter(campaign=campaign)
        .annotate(
            recorded=Count("recordings", filter=kept),
            ready=Count("recordings", filter=kept & Q(recordings__status=Recording.Status.READY)),
        )
        .order_by("id")
    )


def speakers_with_consent(*, campaign: Campaign) -> QuerySet[Speaker]:
    """Speakers, newest first, with their consents (and the versions signed) prefetched."""
    consents = ConsentRecord.objects.select_related("document").order_by("-signed_at")
    return (
        Speaker.objects.filter(campaign=campaign)
        .annotate(
            clip_count=Count(
                "recordings",
                filter=~Q(
                    recordings__status__in=[Recording.Status.REJECTED, Recording.Status.REMOVED]
                ),
            )
        )
        .prefetch_related(Prefetch("consents", queryset=consents))
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class CellProgress:
    """One quota cell's target against what was collected and approved (clips and minutes)."""

    cell: QuotaCell
    collected_clips: int
    approved_clips: int
    collected_minutes: float
    approved_minutes: float
    collected_speakers: int


def _cell_filter(cell: QuotaCell) -> Q:
    """Recordings in a cell: matching each of its non-blank dimensions (as analytics counts)."""
    match = Q()
    for name in ("age_band", "gender", "region", "dialect"):
        if getattr(cell, name):
            match &= Q(**{f"speaker__{name}": getattr(cell, name)})
    if cell.speech_style:
        match &= Q(speech_style=cell.speech_style)
    return match


def quota_progress(*, campaign: Campaign) -> dict[int, CellProgress]:
    """Per quota cell id, the progress the campaign page draws as bars: one aggregate query.

    Counted as labelhub.analytics.coverage counts: ready clips of current speakers (long-form
    sources through their segments), approved when their task is.
    """
    cells = list(QuotaCell.objects.filter(campaign=campaign))
    collected = Q(status=Recording.Status.READY, speaker__withdrawn_at__isnull=True)
    approved = collected & Q(task__status="approved")
    sums: dict[str, Count | Sum] = {}
    for cell in cells:
        inside = _cell_filter(cell)
        for name, which in (("collected", collected), ("approved", approved)):
            sums[f"{name}_clips_{cell.pk}"] = Count("id", filter=inside & which)
            sums[f"{name}_seconds_{cell.pk}"] = Sum("duration_seconds", filter=inside & which)
        sums[f"speakers_{cell.pk}"] = Count("speaker", filter=inside & collected, distinct=True)
    totals = (
        Recording.objects.filter(campaign=campaign)
        .exclude(kind=Recording.Kind.SOURCE)
        .exclude(status=Recording.Status.REMOVED)
        .aggregate(**sums)
        if cells
        else {}
    )

    def minutes(key: str) -> float:
        return round((totals[key] or 0.0) / 60, 2)

    return {
        cell.pk: CellProgress(
            cell=cell,
            collected_clips=totals[f"collected_clips_{cell.pk}"],
            approved_clips=totals[f"approved_clips_{cell.pk}"],
            collected_minutes=minutes(f"collected_seconds_{cell.pk}"),
            approved_minutes=minutes(f"approved_seconds_{cell.pk}"),
            collected_speakers=totals[f"speakers_{cell.pk}"],
        )
        for cell in cells
    }
