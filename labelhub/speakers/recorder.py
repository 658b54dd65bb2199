"""What the recorder page needs to know, in one read: the consent text, the form's choices,
the speaker's progress and the next prompt. Shared by the page view and its JSON endpoint."""

from typing import Any

from django.utils.translation import get_language_info

from labelhub.campaigns.demographics import AgeBand, Gender, dialect_choices_for, region_choices_for
from labelhub.campaigns.models import Campaign
from labelhub.speakers.consent_text import consent_paragraphs
from labelhub.speakers.invites import invite_token, withdrawal_path
from labelhub.speakers.models import ConsentDocument, SpeakerInvite
from labelhub.speakers.selectors import (
    consent_document_for,
    consent_documents_latest,
    prompt_next_for,
    recordings_done_by,
)


def _choices(pairs: Any) -> list[list[str]]:
    return [[str(value), str(label)] for value, label in pairs]


def language_name(code: str) -> str:
    """A language's own name for itself (한국어, English), or the code when Django lacks it."""
    try:
        return get_language_info(code)["name_local"]
    except KeyError:
        return code


def _languages(campaign: Campaign) -> list[list[str]]:
    """The languages the newest consent version reads in, for the speaker to choose."""
    return [
        [document.language, language_name(document.language)]
        for document in consent_documents_latest(campaign=campaign)
    ]


def _campaign_state(campaign: Campaign) -> dict[str, Any]:
    return {
        "name": campaign.name,
        "min_seconds": campaign.min_seconds,
        "max_seconds": campaign.max_seconds,
        "target_seconds": campaign.target_seconds,
        "age_of_consent": campaign.age_of_consent,
        "collecting": campaign.status == Campaign.Status.ACTIVE,
    }


def _document_state(document: ConsentDocument) -> dict[str, Any]:
    """The consent text to show and sign, split into its paragraphs."""
    return {
        "id": document.pk,
        "version": document.version,
        "language": document.language,
        "title": document.title,
        "text": document.text,
        "text_sha256": document.text_sha256,
        "paragraphs": consent_paragraphs(document.text),
    }


def _form_choices(campaign: Campaign) -> dict[str, list[list[str]]]:
    """The speaker form's choices: age band, gender, and the campaign's regions and dialects."""
    return {
        "age_bands": _choices(AgeBand.choices),
        "genders": _choices(Gender.choices),
        "regions": _choices(region_choices_for(campaign)),
        "dialects": _choices(dialect_choices_for(campaign)),
    }


def recorder_state(*, invite: SpeakerInvite, language: str) -> dict[str, Any]:
    campaign = invite.campaign
    document = consent_document_for(campaign=campaign, language=language)
    speaker = invite.speaker
    token = invite_token(invite=invite)
    # A campaign with fewer prompts than the invite asks for is done when each is read once.
    total = min(invite.prompt_count, campaign.prompts.count())
    state: dict[str, Any] = {
        "campaign": _campaign_state(campaign),
        "document": document and _document_state(document),
        "languages": _languages(campaign),
        "choices": _form_choices(campaign),
        "urls": {
            "state": f"/api/record/{token}/",
            "consent": f"/api/record/{token}/consent/",
            "recordings": f"/api/record/{token}/recordings/",
        },
        "signed": speaker is not None,
        "withdrawn": bool(speaker and speaker.withdrawn_at),
        "speaker": None,
        "progress": {"done": 0, "total": total},
        "prompt": None,
    }
    if speaker is None:
        return state
    done = recordings_done_by(speaker=speaker)
    prompt = prompt_next_for(speaker=speaker) if done < total else None
    state["speaker"] = {"code": speaker.code}
    state["urls"]["withdraw"] = withdrawal_path(speaker=speaker)
    state["progress"] = {"done": min(done, total), "total": total}
    state["prompt"] = prompt and {"id": prompt.pk, "text": prompt.text}
    return state
