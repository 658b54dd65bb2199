"""Reads for campaign planning, scoped by who asks."""

from django.db.models import Count, F, FloatField, Q, QuerySet
from django.db.models.functions import Cast, Greatest

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign, LegalReview, Prompt
from labelhub.recordings.models import Recording
from labelhub.speakers.models import Speaker


def campaign_list(*, user: User) -> QuerySet[Campaign]:
    """Campaigns are the vendor's planning: PMs see them all, nobody else sees any."""
    if not (user.is_authenticated and user.is_pm):
        return Campaign.objects.none()
    return Campaign.objects.select_related("client", "parent", "legal_review").annotate(
        prompt_count=Count("prompts", distinct=True)
    )


def campaign_get(*, user: User, campaign_id: int) -> Campaign | None:
    return campaign_list(user=user).filter(pk=campaign_id).first()


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
