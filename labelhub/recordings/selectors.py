from django.db.models import QuerySet

from labelhub.accounts.models import User
from labelhub.recordings.models import Recording


def recordings_visible_to(*, user: User) -> QuerySet[Recording]:
    # Vendor staff work on every campaign; clients see audio only through releases.
    if user.is_labeling_staff:
        return Recording.objects.select_related("speaker", "campaign")
    return Recording.objects.none()
