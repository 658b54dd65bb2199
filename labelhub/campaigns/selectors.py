"""Reads for campaign planning, scoped by who asks."""

from django.db.models import Count, Q, QuerySet

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign, LegalReview


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
