"""What needs a data PM's attention, for their home page: one cheap grouped query per item."""

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.campaigns.selectors import campaign_list
from labelhub.labeling.models import Task
from labelhub.recordings.models import Recording


@dataclass
class CampaignAttention:
    campaign: Campaign
    awaiting_sign_off: bool = False
    expired_leases: int = 0
    rejected_recordings: int = 0
    awaiting_review: int = 0
    links: dict[str, str] = field(default_factory=dict)


def campaigns_awaiting_sign_off(*, user: User) -> QuerySet[Campaign]:
    """In legal review without a signature: collection cannot start until a PM signs."""
    return (
        campaign_list(user=user)
        .filter(status=Campaign.Status.LEGAL_REVIEW)
        .filter(Q(legal_review__isnull=True) | Q(legal_review__signed_off_at__isnull=True))
    )


def expired_leases_by_campaign() -> dict[int, int]:
    """Tasks still held by someone whose lease ran out: work stuck until someone claims it."""
    stuck = Task.objects.filter(
        status__in=[Task.Status.OPEN, Task.Status.SUBMITTED],
        assignee__isnull=False,
        lease_expires_at__lt=timezone.now(),
    )
    return _counts(stuck, "recording__campaign_id")


def rejected_recordings_by_campaign() -> dict[int, int]:
    """Uploads the ingest worker refused (unreadable, too short, clipped...)."""
    rejected = Recording.objects.filter(status=Recording.Status.REJECTED)
    return _counts(rejected, "campaign_id")


def awaiting_review_by_campaign() -> dict[int, int]:
    submitted = Task.objects.filter(status=Task.Status.SUBMITTED)
    return _counts(submitted, "recording__campaign_id")


def _counts(queryset: QuerySet, campaign_field: str) -> dict[int, int]:
    rows = queryset.order_by().values(campaign_field).annotate(n=Count("pk"))
    return {row[campaign_field]: row["n"] for row in rows}


def pm_attention(*, user: User) -> list[CampaignAttention]:
    """The PM's campaigns that are not closed, each with what is waiting on it."""
    campaigns = campaign_list(user=user).exclude(status=Campaign.Status.CLOSED).order_by("name")
    unsigned = set(campaigns_awaiting_sign_off(user=user).values_list("pk", flat=True))
    leases = expired_leases_by_campaign()
    rejected = rejected_recordings_by_campaign()
    review = awaiting_review_by_campaign()
    return [
        CampaignAttention(
            campaign=campaign,
            awaiting_sign_off=campaign.pk in unsigned,
            expired_leases=leases.get(campaign.pk, 0),
            rejected_recordings=rejected.get(campaign.pk, 0),
            awaiting_review=review.get(campaign.pk, 0),
            links=_links(campaign.pk),
        )
        for campaign in campaigns
    ]


def _links(campaign_id: int) -> dict[str, str]:
    # Plain paths: the queue and recordings pages are other apps' and may not be routed yet.
    return {
        "campaign": f"/campaigns/{campaign_id}/",
        "queue": f"/work/queue/{campaign_id}/",
        "recordings": f"/campaigns/{campaign_id}/recordings/",
        "review": "/work/review/",
    }
