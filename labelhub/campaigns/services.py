from django.db import transaction

from labelhub.accounts.models import Organisation, User
from labelhub.campaigns.models import Campaign, Prompt
from labelhub.errors import DomainError


def campaign_create(
    *,
    created_by: User,
    client: Organisation,
    name: str,
    language: str,
    description: str = "",
) -> Campaign:
    if client.kind != Organisation.Kind.CLIENT:
        raise DomainError(f"'{client.name}' is not a client organisation", code="not_a_client")
    campaign = Campaign(
        created_by=created_by, client=client, name=name, language=language, description=description
    )
    campaign.full_clean()
    campaign.save()
    return campaign


@transaction.atomic
def prompts_add(*, campaign: Campaign, texts: list[str], category: str = "") -> list[Prompt]:
    cleaned = [text.strip() for text in texts if text.strip()]
    if not cleaned:
        raise DomainError("no prompt text given", code="empty_prompts")
    return Prompt.objects.bulk_create(
        Prompt(campaign=campaign, text=text, category=category) for text in cleaned
    )
