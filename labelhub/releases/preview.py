"""What a release spec would hold, counted before anything is built.

The counts come from releases.services.spec_select, the build's own selection, after the same
checks as release_create: a preview that passes builds a release of exactly these items.
"""

from __future__ import annotations

from dataclasses import dataclass

from labelhub.accounts.models import Organisation
from labelhub.campaigns.models import Campaign
from labelhub.errors import DomainError
from labelhub.releases.services import spec_select
from labelhub.releases.spec import campaigns_client_check, spec_parse


@dataclass(frozen=True)
class ReleasePreview:
    items: int
    speakers: int
    seconds: float

    @property
    def hours(self) -> float:
        return round(self.seconds / 3600, 3)

    def as_json(self) -> dict:
        return {
            "items": self.items,
            "speakers": self.speakers,
            "seconds": round(self.seconds, 3),
            "hours": self.hours,
        }


def release_preview(
    *, campaign: Campaign, client: Organisation | None = None, spec: dict | None = None
) -> ReleasePreview:
    """Items, speakers and audio seconds a release of `campaign` with `spec` would ship."""
    client = client or campaign.client
    if client.kind != Organisation.Kind.CLIENT:
        raise DomainError(f"'{client.name}' is not a client organisation", code="not_a_client")
    campaigns_client_check(campaigns=[campaign], client=client)
    checked = spec_parse(spec, campaign=campaign)
    selected = spec_select(campaign_ids=checked.campaign_ids(campaign), spec=checked)
    items = [choice.split_item for choice in selected.values()]
    return ReleasePreview(
        items=len(items),
        speakers=len({item.speaker_id for item in items}),
        seconds=sum(item.seconds for item in items),
    )
