import hashlib
import secrets
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from labelhub.accounts.models import User
from labelhub.campaigns.demographics import AgeBand, dialect_choices_for, region_choices_for
from labelhub.campaigns.models import Campaign, CollectionChannel, LegalReview
from labelhub.campaigns.services import campaign_require_collecting, campaign_require_open
from labelhub.errors import Conflict, DomainError
from labelhub.speakers.invites import invite_max_age
from labelhub.speakers.models import ConsentDocument, ConsentRecord, Speaker, SpeakerInvite
from labelhub.speakers.selectors import speaker_is_minor
from labelhub.validation import prefix_clash, speaker_code_problem


class ConsentMissing(DomainError):
    code = "consent_missing"


SCOPE_FIELDS = (
    "allows_training",
    "allows_third_party_delivery",
    "allows_commercial_use",
    "retention_days",
)


def _document_checked(document: ConsentDocument) -> ConsentDocument:
    document.title = document.title.strip()
    document.text = document.text.strip()
    document.language = document.language.strip()
    document.full_clean(exclude=["text_sha256"])
    document.save()
    _legal_review_reopen(document.campaign_id)
    return document


def _legal_review_reopen(campaign_id: int) -> None:
    """A new or translated text was not what the legal review signed: it is reviewed again.

    Only before collection: an active campaign's review is locked, and its speakers sign the
    newest text from now on.
    """
    LegalReview.objects.filter(
        campaign_id=campaign_id,
        campaign__status__in=[Campaign.Status.DRAFT, Campaign.Status.LEGAL_REVIEW],
    ).update(consent_text_reviewed=False, signed_off_at=None, signed_off_by=None)


@transaction.atomic
def consent_document_create(
    *, campaign: Campaign, title: str, text: str, language: str = "", **scope: object
) -> ConsentDocument:
    """Adds the next version of a campaign's consent text; earlier versions stay as they were."""
    unknown = set(scope) - set(SCOPE_FIELDS)
    if unknown:
        raise DomainError(f"unknown consent fields: {', '.join(sorted(unknown))}")
    campaign_require_open(campaign=campaign)
    latest = (
        ConsentDocument.objects.select_for_update(no_key=True)
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
    return _document_checked(document)


def consent_document_unchanged(
    *, campaign: Campaign, title: str, text: str, language: str, **scope: object
) -> ConsentDocument | None:
    """The newest text in that language when it says exactly this already (no new version)."""
    latest = ConsentDocument.objects.filter(campaign=campaign, language=language).first()
    if latest is None or (latest.title, latest.text) != (title.strip(), text.strip()):
        return None
    if any(getattr(latest, field) != value for field, value in scope.items()):
        return None
    return latest


@transaction.atomic
def consent_document_translate(
    *, document: ConsentDocument, language: str, title: str, text: str
) -> ConsentDocument:
    """The same version in another language: same scope and retention, its own text."""
    campaign_require_open(campaign=document.campaign)
    language = language.strip()
    taken = ConsentDocument.objects.select_for_update(no_key=True).filter(
        campaign_id=document.campaign_id, version=document.version
    )
    if any(other.language.lower() == language.lower() for other in taken):
        raise Conflict(
            _("Version %(version)d already has a text in %(language)s.")
            % {"version": document.version, "language": language},
            code="translation_exists",
        )
    translation = ConsentDocument(
        campaign_id=document.campaign_id,
        version=document.version,
        title=title,
        text=text,
        language=language,
        **{field: getattr(document, field) for field in SCOPE_FIELDS},
    )
    return _document_checked(translation)


def evidence_hash(*, ip_address: str, user_agent: str) -> str:
    return hashlib.sha256(f"{ip_address}\n{user_agent}".encode()).hexdigest()


def _new_speaker_code() -> str:
    return f"SPK-{secrets.token_hex(4).upper()}"


def _require_usable_code(campaign: Campaign, code: str) -> None:
    """The code's own form, then the codes it would share a release with."""
    problem = speaker_code_problem(code)
    if problem:
        raise DomainError(
            _("speaker code: %(problem)s") % {"problem": problem}, code="invalid_identifier"
        )
    taken = [
        *Speaker.objects.filter(campaign=campaign).values_list("code", flat=True),
        *SpeakerInvite.objects.filter(campaign=campaign, revoked_at__isnull=True)
        .exclude(speaker_code="")
        .values_list("speaker_code", flat=True),
    ]
    other = prefix_clash(code, taken)
    if other:
        raise DomainError(
            _(
                "speaker code %(code)s cannot live beside %(other)s: Kaldi utterance ids would "
                "interleave; choose a code that neither starts with the other plus '-'"
            )
            % {"code": code, "other": other},
            code="invalid_identifier",
        )


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
    if code:
        _require_usable_code(campaign, code)
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


@transaction.atomic
def invites_create(
    *,
    campaign: Campaign,
    created_by: User,
    count: int = 1,
    speaker_code: str = "",
    channel: CollectionChannel | None = None,
    prompt_count: int = 40,
) -> list[SpeakerInvite]:
    """Issues invite links; with a speaker code, exactly one (a code names one person)."""
    if channel is not None and channel.campaign_id != campaign.pk:
        raise DomainError("the channel belongs to another campaign", code="wrong_campaign")
    if speaker_code and count != 1:
        raise DomainError("an invite with a speaker code is issued one at a time", code="invalid")
    if speaker_code and (
        Speaker.objects.filter(campaign=campaign, code=speaker_code).exists()
        or SpeakerInvite.objects.filter(
            campaign=campaign, speaker_code=speaker_code, revoked_at__isnull=True
        ).exists()
    ):
        raise Conflict(f"speaker code {speaker_code} is already taken", code="code_taken")
    if speaker_code:
        _require_usable_code(campaign, speaker_code)
    expires_at = timezone.now() + invite_max_age()
    return [
        SpeakerInvite.objects.create(
            campaign=campaign,
            created_by=created_by,
            speaker_code=speaker_code,
            channel=channel,
            prompt_count=prompt_count,
            expires_at=expires_at,
        )
        for _index in range(count)
    ]


def age_band_for(*, birth_year: int, today: date | None = None) -> str:
    age = (today or timezone.localdate()).year - birth_year
    decade = min(max(age // 10, 1), 7)
    return AgeBand.SEVENTIES_PLUS if decade == 7 else f"{decade}0s"


def _demographics_checked(campaign: Campaign, demographics: dict[str, Any]) -> dict[str, Any]:
    """The speaker's answers, with an age band derived from a birth year; raises on bad input."""
    data = {key: value for key, value in demographics.items() if value not in (None, "")}
    year = timezone.localdate().year
    birth_year = data.get("birth_year")
    if birth_year is not None:
        if not 1900 <= int(birth_year) <= year:
            raise DomainError(f"birth year {birth_year} is not possible", code="invalid")
        data["age_band"] = age_band_for(birth_year=int(birth_year))
    if not data.get("age_band"):
        raise DomainError("give an age band or a birth year", code="invalid")
    for field, choices in (
        ("region", region_choices_for(campaign)),
        ("dialect", dialect_choices_for(campaign)),
    ):
        codes = {code for code, _label in choices}
        if data.get(field) and codes and data[field] not in codes:
            raise DomainError(
                f"{field}: '{data[field]}' is not one of the campaign's", code="invalid"
            )
    return data


@transaction.atomic
def invite_accept(
    *,
    invite: SpeakerInvite,
    document: ConsentDocument,
    demographics: dict[str, Any],
    evidence_sha256: str,
    guardian_consents: bool = False,
) -> Speaker:
    """The invitee signs the consent (and a guardian, for a minor) and becomes a speaker.

    The name typed to sign is not an argument on purpose: it is never stored, only the fact of
    signing, when, which text, and a hash of the browser's IP and user agent.
    """
    invite = SpeakerInvite.objects.select_for_update(no_key=True).get(pk=invite.pk)
    if invite.speaker_id is not None:
        raise Conflict(_("This invite link was already used to sign."), code="invite_used")
    campaign_require_collecting(campaign=invite.campaign)
    data = _demographics_checked(invite.campaign, demographics)
    data["channel"] = invite.channel
    speaker, _consent = speaker_create_with_consent(
        campaign=invite.campaign,
        document=document,
        method=ConsentRecord.Method.WEB_SIGNATURE,
        demographics=data,
        evidence_sha256=evidence_sha256,
        code=invite.speaker_code,
    )
    if speaker_is_minor(speaker=speaker):
        if not guardian_consents:
            raise Conflict(
                _("Speakers under %(age)d need a parent or legal guardian to sign the consent too.")
                % {"age": invite.campaign.age_of_consent},
                code="guardian_consent_missing",
            )
        ConsentRecord.objects.create(
            speaker=speaker,
            document=document,
            method=ConsentRecord.Method.WEB_SIGNATURE,
            signer=ConsentRecord.Signer.GUARDIAN,
            signed_at=timezone.now(),
            evidence_sha256=evidence_sha256,
        )
    invite.speaker = speaker
    invite.used_at = timezone.now()
    invite.save(update_fields=["speaker", "used_at"])
    return speaker


def consent_record_add(
    *,
    speaker: Speaker,
    document: ConsentDocument,
    method: str,
    signer: str,
    recorded_by: User | None,
    evidence_sha256: str = "",
) -> ConsentRecord:
    """Records one more consent for an existing speaker, e.g. a guardian's signed paper form."""
    if document.campaign_id != speaker.campaign_id:
        raise DomainError("the consent document belongs to another campaign", code="wrong_campaign")
    if speaker.withdrawn_at is not None:
        raise Conflict(f"speaker {speaker.code} withdrew consent", code="consent_withdrawn")
    consent = ConsentRecord(
        speaker=speaker,
        document=document,
        method=method,
        signer=signer,
        signed_at=timezone.now(),
        evidence_sha256=evidence_sha256,
        recorded_by=recorded_by,
    )
    consent.full_clean()
    consent.save()
    return consent
