"""What the campaign's pages share: the campaign the PM may open.

Used by the pages mounted under /campaigns/<id>/: labelhub.planning's, recordings.pages and
labeling.queue_pages.
"""

from django.http import Http404, HttpRequest

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.campaigns.selectors import campaign_get


def campaign_for_page(request: HttpRequest, campaign_id: int) -> Campaign:
    """The campaign, if the signed-in user may see it; a 404 otherwise (never a 403: no hint)."""
    user = request.user
    if not isinstance(user, User):  # the pages' role decorators let no visitor this far
        raise Http404
    campaign = campaign_get(user=user, campaign_id=campaign_id)
    if campaign is None:
        raise Http404
    return campaign
