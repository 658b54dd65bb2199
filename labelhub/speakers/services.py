import hashlib
import secrets

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.errors import DomainError
from labelhub.speakers.models import ConsentDocument, ConsentRecord, Speaker


class ConsentMissing(DomainError):
    code = "consent_missing"


@transaction.atomic
def consent_document_create(
    *, campaign: Campaign, title: str, text: str, language: str = "", **scope: object
) -> ConsentDocument:
    """Adds the next version of a campaign's consent text; earlier versions stay as they were."""
    latest = (
        ConsentDocument.objects.select_for_update()
        .filter(campaign=campaign)
        .aggregate(v=Max("version"))["v"]
    )
    document = ConsentDocument(
        campaign=campaign,
        version=(latest or 0) + 1,
        title=title,
        text=text,
        language=language or campaign.language,
        **scope,
    )
    document.full_clean(exclude=["text_sha256"])
    document.save()
    return document


def evidence_hash(*, ip_address: str, user_agent: str) -> str:
    return hashlib.sha256(f"{ip_address}\n{user_agent}".encode()).hexdigest()


def _new_speaker_code() -> str:
    return f"SPK-{secrets.token_hex(4).upper()}"


@transaction.atomic
def speaker_create_with_consent(
    *,
    campaign: Campaign,
    document: ConsentDocument,
    method: str,
    demographics: dict[str, str],
    evidence_sha256: str = "",
    recorded_by: User | None = None,
    code: str = "",
) -> tuple[Speaker, ConsentRecord]:
    """A speaker exists only together with the consent they gave."""
    if document.campaign_id != campaign.pk:
        raise DomainError("the consent document belongs to another campaign", code="wrong_campaign")
    speaker = Speaker(campaign=campaign, code=code or _new_speaker_code(), **demographics)
    speaker.full_clean()
    speaker.save()
    consent = ConsentRecord(
        speaker=speaker,
        document=document,
        method=method,
        signed_at=timezone.now(),
        evidence_sha256=evidence_sha256,
        recorded_by=recorded_by,
    )
    consent.full_clean()
    consent.save()
    return speaker, consent
