"""What the campaign page lists: prompts, speakers, invites, capped with a "show all" link."""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from labelhub.campaigns.models import Campaign
from labelhub.recordings.selectors import prompts_with_recording_counts, speakers_with_consent
from labelhub.speakers.invites import invite_path
from labelhub.speakers.models import ConsentRecord, Speaker, SpeakerInvite
from labelhub.speakers.selectors import consent_versions

# Long lists on the campaign page show this many rows, then a "show all" link (?show=<list>).
LIST_CAP = 50


def capped(request: HttpRequest, name: str, rows: QuerySet) -> tuple[list, int]:
    total = rows.count()
    shown = list(rows) if request.GET.get("show") == name else list(rows[:LIST_CAP])
    return shown, total


def speaker_rows(speakers: list[Speaker]) -> list[dict]:
    """Each speaker with the consent they gave: the version signed, and whether withdrawn."""
    rows = []
    for speaker in speakers:
        own = [c for c in speaker.consents.all() if c.signer == ConsentRecord.Signer.SPEAKER]
        latest = own[0] if own else None
        rows.append(
            {
                "speaker": speaker,
                "consent": latest,
                "guardian": any(
                    c.signer == ConsentRecord.Signer.GUARDIAN for c in speaker.consents.all()
                ),
            }
        )
    return rows


def lists_context(request: HttpRequest, campaign: Campaign) -> dict:
    prompts, prompt_total = capped(
        request, "prompts", prompts_with_recording_counts(campaign=campaign)
    )
    speakers, speaker_total = capped(request, "speakers", speakers_with_consent(campaign=campaign))
    return {
        "prompts": prompts,
        "prompts_capped": len(prompts) < prompt_total,
        "speaker_rows": speaker_rows(speakers),
        "speaker_total": speaker_total,
        "speakers_capped": len(speakers) < speaker_total,
        "consent_versions": consent_versions(campaign=campaign),
    }


def invite_rows(request: HttpRequest, invites: list[SpeakerInvite]) -> list[dict]:
    """Each invite's state; a live one (not used, revoked or expired) with its full link."""
    now = timezone.now()
    rows = []
    for invite in invites:
        if invite.revoked_at:
            state = "revoked"
        elif invite.used_at:
            state = "used"
        elif invite.expires_at <= now:
            state = "expired"
        else:
            state = "live"
        url = request.build_absolute_uri(invite_path(invite=invite)) if state == "live" else ""
        rows.append({"invite": invite, "state": state, "url": url})
    return rows
