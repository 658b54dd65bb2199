"""Writes of the analytics app: re-collection drafts, curation (exclusions), product feedback."""

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from labelhub.accounts.models import Organisation, User
from labelhub.analytics.models import FeedbackReport
from labelhub.analytics.recollection import recollection_plan
from labelhub.campaigns.demographics import AgeBand, Gender
from labelhub.campaigns.models import (
    Campaign,
    CollectionChannel,
    QuotaCell,
    SpeechStyle,
)
from labelhub.campaigns.services import CAMPAIGN_FIELDS
from labelhub.errors import Conflict, DomainError
from labelhub.recordings.models import Exclusion, Recording
from labelhub.recordings.services import recording_upload
from labelhub.speakers.models import ConsentDocument, ConsentRecord, Speaker

# What a re-collection campaign takes over from its parent as is: the whole plan except its
# name, its place in the chain, and the amounts and dates that belong to the parent.
_INHERITED_FIELDS = tuple(sorted(CAMPAIGN_FIELDS - {"name", "parent", "deadline", "target_hours"}))


@transaction.atomic
def recollection_draft(
    *,
    campaign: Campaign,
    by: User,
    name: str = "",
    error_threshold: float | None = None,
    ci_half_width: float = 0.05,
) -> Campaign:
    """Drafts the campaign that collects what `campaign` lacks, in one step.

    Its quota cells are the parent's unfilled cells (target: the missing amount) and, when
    `error_threshold` is given, the cells whose ASR error is surely above it (95% CI lower bound
    over the threshold; target: enough clips for a CI half-width of `ci_half_width`). It inherits
    the newest consent text (as its version 1), environments, channels and prompts, and starts as
    a draft that still needs its own legal review.
    """
    plan = recollection_plan(
        campaign=campaign, error_threshold=error_threshold, ci_half_width=ci_half_width
    )
    if not plan:
        raise DomainError(
            "every quota cell is filled and none is above the error threshold: "
            "there is nothing to re-collect",
            code="nothing_to_recollect",
        )
    generation = Campaign.objects.filter(parent=campaign).count() + 1
    child = Campaign(
        **{field: getattr(campaign, field) for field in _INHERITED_FIELDS},
        name=name.strip() or f"{campaign.name} — re-collection {generation}",
        parent=campaign,
        status=Campaign.Status.DRAFT,
        target_hours=round(sum(cell.target_minutes for cell in plan) / 60, 2),
        created_by=by,
    )
    child.full_clean()
    child.save()
    _copy_setup(campaign, child)
    QuotaCell.objects.bulk_create(
        QuotaCell(
            campaign=child,
            max_minutes_per_speaker=cell.source.max_minutes_per_speaker,
            target_clips=cell.target_clips,
            target_minutes=cell.target_minutes,
            target_speakers=cell.target_speakers,
            **{field: getattr(cell.source, field) for field in cell.DIMENSIONS},
        )
        for cell in plan
    )
    return child


def _copy_setup(parent: Campaign, child: Campaign) -> None:
    document = ConsentDocument.objects.filter(campaign=parent).order_by("-version").first()
    if document is not None:
        ConsentDocument.objects.create(
            campaign=child,
            version=1,
            language=document.language,
            title=document.title,
            text=document.text,
            allows_training=document.allows_training,
            allows_third_party_delivery=document.allows_third_party_delivery,
            allows_commercial_use=document.allows_commercial_use,
            retention_days=document.retention_days,
        )
    _copy_rows(child, parent.environments.all(), _COPIED_ENVIRONMENT_FIELDS)
    _copy_rows(child, parent.channels.all(), _COPIED_CHANNEL_FIELDS)
    _copy_rows(child, parent.prompts.order_by("id"), _COPIED_PROMPT_FIELDS)


# What a re-collection takes over of its parent's set-up rows; counters and ids start afresh.
_COPIED_ENVIRONMENT_FIELDS = ("kind", "name", "noise_level", "microphone", "notes")
_COPIED_CHANNEL_FIELDS = ("kind", "name", "source_url", "licence")
_COPIED_PROMPT_FIELDS = ("external_id", "text", "category", "speech_style", "recordings_needed")


def _copy_rows(child: Campaign, rows: QuerySet[Any], fields: tuple[str, ...]) -> None:
    """Copies each of a parent campaign's rows to the child, with the named fields only."""
    model = rows.model
    model.objects.bulk_create(
        model(campaign=child, **{field: getattr(row, field) for field in fields}) for row in rows
    )


@transaction.atomic
def exclusion_add(
    *,
    by: User,
    reason: str,
    note: str = "",
    recording_ids: list[int] | tuple[int, ...] = (),
    speaker_ids: list[int] | tuple[int, ...] = (),
    campaign: Campaign | None = None,
) -> list[Exclusion]:
    """Excludes clips and/or speakers from future releases, all or nothing.

    A target that already has an active exclusion keeps it (returned, not duplicated). With
    `campaign`, every id must belong to it.
    """
    if reason not in Exclusion.Reason.values:
        raise DomainError(
            f"unknown reason {reason!r}; one of {', '.join(Exclusion.Reason.values)}",
            code="invalid_reason",
        )
    if not recording_ids and not speaker_ids:
        raise DomainError("give at least one recording or speaker id", code="nothing_to_exclude")
    recordings = _existing(Recording, recording_ids, campaign, "recording")
    speakers = _existing(Speaker, speaker_ids, campaign, "speaker")
    active = Exclusion.objects.select_for_update(no_key=True).filter(lifted_at__isnull=True)
    by_recording = {e.recording_id: e for e in active.filter(recording__in=recordings)}
    by_speaker = {e.speaker_id: e for e in active.filter(speaker__in=speakers)}
    result = []
    for target, existing, field in (
        *((rec, by_recording, "recording") for rec in recordings),
        *((spk, by_speaker, "speaker") for spk in speakers),
    ):
        exclusion = existing.get(target.pk) or Exclusion.objects.create(
            **{field: target}, reason=reason, note=note, created_by=by
        )
        result.append(exclusion)
    return result


# The targets an exclusion can name.
_Target = TypeVar("_Target", Recording, Speaker)


def _existing(
    model: type[_Target],
    ids: list[int] | tuple[int, ...],
    campaign: Campaign | None,
    name: str,
) -> list[_Target]:
    wanted = {int(pk) for pk in ids}
    rows = model.objects.filter(pk__in=wanted)
    if campaign is not None:
        rows = rows.filter(campaign=campaign)
    found = list(rows)
    missing = sorted(wanted - {obj.pk for obj in found})
    if missing:
        where = f" in campaign {campaign.pk}" if campaign is not None else ""
        raise DomainError(
            f"no {name} with id {', '.join(map(str, missing))}{where}; nothing was excluded",
            code=f"unknown_{name}",
        )
    return found


@transaction.atomic
def exclusion_lift(*, exclusion_ids: list[int], by: User) -> list[Exclusion]:
    """Lifts exclusions; the rows stay, with who lifted them and when, as the curation history."""
    exclusions = list(Exclusion.objects.select_for_update(no_key=True).filter(pk__in=exclusion_ids))
    missing = sorted(set(exclusion_ids) - {e.pk for e in exclusions})
    if missing:
        raise DomainError(f"no exclusion with id {', '.join(map(str, missing))}", code="not_found")
    lifted = sorted(e.pk for e in exclusions if e.lifted_at is not None)
    if lifted:
        raise Conflict(f"exclusion {', '.join(map(str, lifted))} was already lifted")
    now = timezone.now()
    for exclusion in exclusions:
        exclusion.lifted_at, exclusion.lifted_by = now, by
        exclusion.save(update_fields=["lifted_at", "lifted_by"])
    return exclusions


FEEDBACK_CONSENT_TEXT = (
    "The user of the client's product agreed, under the product's own terms, that utterances "
    "the product misrecognised may be sent to the vendor to improve speech recognition. Each "
    "feedback report carries the product's reference to that agreement."
)


@transaction.atomic
def feedback_campaign_for(*, client: Organisation, by: User, language: str) -> Campaign:
    """The client's feedback campaign (one per client), created on first use as a draft: like
    any campaign it collects only once a PM has signed its legal review and activated it."""
    Organisation.objects.select_for_update(no_key=True).get(pk=client.pk)  # one creator at a time
    kind = CollectionChannel.Kind.PRODUCT_FEEDBACK
    campaign = Campaign.objects.filter(client=client, channels__kind=kind).first()
    if campaign is not None:
        return campaign
    campaign = Campaign.objects.create(
        client=client,
        name=f"Product feedback: {client.name}",
        language=language,
        description="Utterances the client's deployed product misrecognised.",
        status=Campaign.Status.DRAFT,
        created_by=by,
    )
    CollectionChannel.objects.create(campaign=campaign, kind=kind, name="Product feedback")
    ConsentDocument.objects.create(
        campaign=campaign,
        version=1,
        language=language,
        title="Consent given in the client's product",
        text=FEEDBACK_CONSENT_TEXT,
    )
    return campaign


def feedback_intake(
    *,
    client: Organisation,
    submitted_by: User,
    audio: "UploadedFile[bytes]",
    heard_text: str,
    consent_reference: str,
    user_correction: str = "",
    product: str = "",
    user_reference: str = "",
    language: str = "ko",
    age_band: str = "",
    gender: str = "",
) -> FeedbackReport:
    """Takes a misrecognised utterance from a deployed product into the client's feedback
    campaign as an ordinary recording (ingested, then drafted by Whisper, then labeled).

    Refused without a consent reference: customer audio becomes training data only with consent.
    Refused (409) while the feedback campaign is not active; the first report creates that
    campaign as a draft, which stays so that a PM can review and activate it.
    """
    _feedback_require_valid(client, heard_text, consent_reference)
    campaign = feedback_campaign_for(client=client, by=submitted_by, language=language)
    _feedback_require_active(campaign)
    # The campaign above stays even if storing this report fails.
    with transaction.atomic():
        channel = campaign.channels.get(kind=CollectionChannel.Kind.PRODUCT_FEEDBACK)
        speaker = _feedback_speaker(campaign, channel, user_reference, age_band, gender)
        consent = _feedback_consent(campaign, speaker, consent_reference, submitted_by)
        recording = recording_upload(
            speaker=speaker,
            uploaded_file=audio,
            uploaded_by=submitted_by,
            channel=channel,
            speech_style=SpeechStyle.COMMAND,
            device=product[:200],
        )
        with _upload_removed_on_error(recording):
            return FeedbackReport.objects.create(
                client=client,
                recording=recording,
                consent=consent,
                product=product,
                heard_text=heard_text.strip(),
                user_correction=user_correction.strip(),
                consent_reference=consent_reference.strip(),
                submitted_by=submitted_by,
            )


@contextmanager
def _upload_removed_on_error(recording: Recording) -> Iterator[None]:
    """The stored upload goes when the rest of the report fails: the rollback keeps no file."""
    try:
        yield
    except BaseException:
        recording.raw_file.delete(save=False)
        raise


def _feedback_require_valid(client: Organisation, heard_text: str, consent_reference: str) -> None:
    if not consent_reference.strip():
        raise DomainError(
            "consent_reference is required: feedback audio is kept only with the user's consent",
            code="consent_reference_required",
        )
    if client.kind != Organisation.Kind.CLIENT:
        raise DomainError(f"'{client.name}' is not a client organisation", code="not_a_client")
    if not heard_text.strip():
        raise DomainError("heard_text is required: what did the product hear?", code="invalid")


def _feedback_require_active(campaign: Campaign) -> None:
    if campaign.status != Campaign.Status.ACTIVE:
        raise Conflict(
            f"feedback campaign '{campaign.name}' (id {campaign.pk}) is {campaign.status}: "
            "a PM must sign off its legal review and activate it before feedback is taken",
            code="feedback_campaign_not_active",
        )


def _feedback_consent(
    campaign: Campaign, speaker: Speaker, consent_reference: str, by: User
) -> ConsentRecord:
    """The consent the user gave in the product, on the feedback campaign's newest document."""
    document = campaign.consent_documents.order_by("-version").first()
    if document is None:  # feedback_campaign_for writes one with the campaign
        raise Conflict(
            f"feedback campaign '{campaign.name}' (id {campaign.pk}) has no consent document",
            code="consent_document_missing",
        )
    return ConsentRecord.objects.create(
        speaker=speaker,
        document=document,
        method=ConsentRecord.Method.WEB_SIGNATURE,
        signed_at=timezone.now(),
        evidence_sha256=hashlib.sha256(consent_reference.strip().encode()).hexdigest(),
        recorded_by=by,
    )


def _feedback_speaker(
    campaign: Campaign, channel: CollectionChannel, user_reference: str, age_band: str, gender: str
) -> Speaker:
    # The product's user id is hashed into the code, so a user's utterances share a speaker
    # (speaker-disjoint splits stay honest) without their id being stored.
    if user_reference:
        digest = hashlib.sha256(f"{campaign.pk}:{user_reference}".encode()).hexdigest()
        code = f"FB-{digest[:12].upper()}"
    else:
        code = f"FB-{secrets.token_hex(6).upper()}"
    # Demographics are usually unknown for product users: blank age band, gender not stated.
    speaker, _created = Speaker.objects.get_or_create(
        campaign=campaign,
        code=code,
        defaults={
            "age_band": age_band if age_band in AgeBand.values else "",
            "gender": gender if gender in Gender.values else Gender.OTHER,
            "channel": channel,
        },
    )
    return speaker
