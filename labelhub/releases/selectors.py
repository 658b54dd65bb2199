from django.db.models import QuerySet

from labelhub.accounts.models import User
from labelhub.releases.models import Release


def releases_visible_to(*, user: User) -> QuerySet[Release]:
    """PMs see every release; a client sees only its own organisation's published ones."""
    if user.is_pm:
        return Release.objects.all()
    if user.is_client and user.organisation_id is not None:
        return Release.objects.filter(
            client_id=user.organisation_id, status=Release.Status.PUBLISHED
        )
    return Release.objects.none()
