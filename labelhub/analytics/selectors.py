"""Reads of the analytics app: which campaigns a PM sees, their chains, and exclusions."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.recordings.models import Exclusion, Recording


def campaigns_for_analytics(*, user: User) -> QuerySet[Campaign]:
    """PMs see every campaign (they work for the vendor); nobody else sees analytics."""
    if not (user.is_authenticated and user.is_pm):
        return Campaign.objects.none()
    return Campaign.objects.select_related("client", "parent")


@dataclass(frozen=True)
class CampaignNode:
    campaign: Campaign
    depth: int


def campaign_chains(*, user: User) -> list[CampaignNode]:
    """Every campaign, each re-collection campaign indented under the parent whose gaps it fills."""
    campaigns = list(campaigns_for_analytics(user=user).order_by("created_at", "id"))
    children: dict[int | None, list[Campaign]] = {}
    ids = {campaign.pk for campaign in campaigns}
    for campaign in campaigns:
        parent = campaign.parent_id if campaign.parent_id in ids else None
        children.setdefault(parent, []).append(campaign)
    nodes: list[CampaignNode] = []

    def walk(parent: int | None, depth: int) -> None:
        for campaign in children.get(parent, []):
            nodes.append(CampaignNode(campaign, depth))
            walk(campaign.pk, depth + 1)

    walk(None, 0)
    return nodes


def campaign_ancestry(*, campaign: Campaign) -> list[Campaign]:
    """The campaign's parents, oldest first, ending with the campaign itself."""
    chain = [campaign]
    while chain[0].parent_id is not None and len(chain) < 50:
        chain.insert(0, Campaign.objects.get(pk=chain[0].parent_id))
    return chain


def active_exclusions(*, campaign: Campaign) -> QuerySet[Exclusion]:
    return Exclusion.objects.filter(
        Q(recording__campaign=campaign) | Q(speaker__campaign=campaign), lifted_at__isnull=True
    )


def excluded_recording_ids(*, campaign: Campaign) -> set[int]:
    """Clips of the campaign a release must leave out: excluded themselves, or by their speaker."""
    active = Exclusion.objects.filter(lifted_at__isnull=True)
    return set(
        Recording.objects.filter(campaign=campaign)
        .filter(
            Q(pk__in=active.filter(recording__isnull=False).values("recording_id"))
            | Q(speaker_id__in=active.filter(speaker__isnull=False).values("speaker_id"))
        )
        .values_list("pk", flat=True)
    )


def exclusion_history(*, campaign: Campaign) -> QuerySet[Exclusion]:
    """Every exclusion of the campaign, lifted ones included, newest first."""
    return (
        Exclusion.objects.filter(Q(recording__campaign=campaign) | Q(speaker__campaign=campaign))
        .select_related("recording", "speaker", "created_by", "lifted_by")
        .order_by("-created_at", "-id")
    )
