from django.db.models import Q, QuerySet
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.selectors import campaigns_open_to
from labelhub.recordings.models import Recording


def recordings_visible_to(*, user: User) -> QuerySet[Recording]:
    """Clips of the campaigns the user may work on (campaigns_open_to, as claims use), plus the
    clip of a task they still hold a lease on: taking someone off a campaign leaves their open
    task with them until it is submitted or the lease runs out, so its audio must stay playable.

    Clients see audio only through releases.
    """
    if not (user.is_authenticated and user.is_labeling_staff):
        return Recording.objects.none()
    recordings = Recording.objects.select_related("speaker", "campaign")
    if user.is_pm:
        return recordings
    return recordings.filter(
        Q(campaign_id__in=campaigns_open_to(user=user).values("pk")) | _leased_to(user)
    )


def _leased_to(user: User) -> Q:
    # Names the task through its reverse relation: recordings must not import labeling.
    now = timezone.now()
    leased = Q(task__assignee=user, task__lease_expires_at__gte=now) | Q(
        task__double_assignee=user, task__double_lease_expires_at__gte=now
    )
    # A long-form segment plays from its source: holding the segment lets you hear the source.
    segments = Recording.objects.filter(leased, kind=Recording.Kind.SEGMENT)
    return leased | Q(pk__in=segments.values("source_id"))
