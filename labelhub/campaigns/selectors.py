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
