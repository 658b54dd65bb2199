"""Writes for campaign planning: the campaign, its lifecycle, legal review, quota cells,
environments and channels. Prompt imports live in prompt_import.py."""

import re
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Field, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from labelhub.accounts.models import Organisation, User
from labelhub.campaigns.models import (
    Campaign,
    CollectionChannel,
    LegalReview,
    Prompt,
    RecordingEnvironment,
)
from labelhub.errors import Conflict, DomainError, NotAllowed

# Who may work on a campaign's tasks (campaign_labelers_set).
LABELING_ROLES = frozenset({User.Role.LABELER, User.Role.REVIEWER})

# The fields a PM plans; status moves only through campaign_transition.
CAMPAIGN_FIELDS = frozenset(
    {
        "name",
        "client",
        "language",
        "locale",
        "description",
        "min_seconds",
        "max_seconds",
        "target_seconds",
        "target_hours",
        "deadline",
        "convention",
        "transcript_casing",
        "transcript_final_punctuation",
        "transcript_numbers",
        "dataset_license",
        "terms_of_use",
        "parent",
        "age_of_consent",
        "dialect_choices",
        "region_choices",
        "review_share",
        "double_transcription_share",
        "asr_detect_language",
        "asr_initial_prompt",
        "asr_beam_size",
        "asr_vad_filter",
        "collection_mode",
        "max_source_seconds",
        "segment_min_seconds",
        "segment_max_seconds",
        "segment_target_seconds",
    }
)

MAX_SOURCE_SECONDS_CAP = 36 * 3600
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")

Status = Campaign.Status
# Draft may be sent back from review; closing is possible from anywhere and is final.
TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.LEGAL_REVIEW, Status.CLOSED},
    Status.LEGAL_REVIEW: {Status.DRAFT, Status.ACTIVE, Status.CLOSED},
    Status.ACTIVE: {Status.CLOSED},
    Status.CLOSED: set(),
}

LEGAL_CHECKLIST = (
    "consent_text_reviewed",
    "retention_period_set",
    "purpose_stated",
    "third_party_delivery_stated",
)
LEGAL_FIELDS = frozenset({*LEGAL_CHECKLIST, "minors_policy", "notes"})


# --- campaigns ---------------------------------------------------------------------------------


def _campaign_validate(campaign: Campaign) -> None:
    errors: dict[str, str] = {}
    if campaign.client_id and campaign.client.kind != Organisation.Kind.CLIENT:
        errors["client"] = _("'%(name)s' is not a client organisation.") % {
            "name": campaign.client.name
        }
    for field in ("language", "locale"):
        value = getattr(campaign, field)
        if value and not LANGUAGE_TAG.match(value):
            errors[field] = _("'%(value)s' is not a language tag such as ko or ko-KR.") % {
                "value": value
            }
    if campaign.min_seconds is not None and campaign.max_seconds is not None:
        if campaign.min_seconds < 0 or campaign.max_seconds <= campaign.min_seconds:
            errors["max_seconds"] = _("The longest utterance must be longer than the shortest.")
        elif not campaign.min_seconds <= campaign.target_seconds <= campaign.max_seconds:
            errors["target_seconds"] = _(
                "The target utterance length must lie between the shortest and the longest."
            )
    errors.update(_long_form_errors(campaign))
    if campaign.target_hours is not None and campaign.target_hours < 0:
        errors["target_hours"] = _("Target hours cannot be negative.")
    for field in ("review_share", "double_transcription_share"):
        if not 0 <= getattr(campaign, field) <= 1:
            errors[field] = _("A share lies between 0 and 1.")
    if not 1 <= campaign.asr_beam_size <= 10:
        errors["asr_beam_size"] = _("The beam size lies between 1 and 10.")
    for field in ("dialect_choices", "region_choices"):
        values = getattr(campaign, field)
        if not isinstance(values, list) or not all(
            isinstance(v, str) and v.strip() and len(v) <= 64 for v in values
        ):
            errors[field] = _("A list of names, each 1 to 64 characters.")
        elif len(set(values)) != len(values):
            errors[field] = _("The list names an entry twice.")
    ancestor = campaign.parent
    while ancestor is not None:
        if campaign.pk and ancestor.pk == campaign.pk:
            errors["parent"] = _("A campaign cannot be its own parent.")
            break
        ancestor = ancestor.parent
    if errors:
        raise ValidationError(errors)
    campaign.full_clean(exclude=["created_by"])


def _long_form_errors(campaign: Campaign) -> dict[str, str]:
    errors: dict[str, str] = {}
    low, target = campaign.segment_min_seconds, campaign.segment_target_seconds
    high, longest = campaign.segment_max_seconds, campaign.max_source_seconds
    if None not in (low, target, high) and not 0 < low <= target <= high:
        errors["segment_target_seconds"] = _(
            "Segment lengths must be positive, with the shortest <= the target <= the longest."
        )
    if longest is not None and longest <= 0:
        errors["max_source_seconds"] = _("The longest source must be longer than 0 s.")
    elif longest is not None and longest > MAX_SOURCE_SECONDS_CAP:
        # A source's normalised copy is one 16 kHz 16-bit WAV, which holds at most 4 GiB (37 h).
        errors["max_source_seconds"] = _("The longest source can be at most 36 hours (129600 s).")
    if campaign.pk and campaign.recordings.exists():
        stored = Campaign.objects.filter(pk=campaign.pk).values_list("collection_mode", flat=True)
        if stored.first() != campaign.collection_mode:
            # Its clips or sources were checked and stored under the other mode's rules.
            errors["collection_mode"] = _(
                "A campaign that already holds recordings cannot change what it collects."
            )
    return errors


def campaign_create(
    *, created_by: User, client: Organisation, name: str, language: str, **planning: Any
) -> Campaign:
    """A new campaign in draft. `planning` takes any other field of CAMPAIGN_FIELDS."""
    unknown = set(planning) - CAMPAIGN_FIELDS
    if unknown:
        raise DomainError(f"unknown campaign fields: {', '.join(sorted(unknown))}")
    if client.kind != Organisation.Kind.CLIENT:
        raise DomainError(
            _("'%(name)s' is not a client organisation.") % {"name": client.name},
            code="not_a_client",
        )
    campaign = Campaign(
        created_by=created_by, client=client, name=name, language=language, **planning
    )
    _campaign_validate(campaign)
    campaign.save()
    return campaign


def campaign_update(*, campaign: Campaign, **changes: Any) -> Campaign:
    """Changes planning fields. A closed campaign is a record and stays as it was."""
    unknown = set(changes) - CAMPAIGN_FIELDS
    if unknown:
        raise DomainError(f"unknown campaign fields: {', '.join(sorted(unknown))}")
    campaign_require_open(campaign=campaign)
    for field, value in changes.items():
        setattr(campaign, field, value)
    _campaign_validate(campaign)
    campaign.save()
    return campaign


def campaign_require_open(*, campaign: Campaign) -> None:
    """A closed campaign is a record: its plan stays as it was (409 `campaign_closed`)."""
    if campaign.status == Status.CLOSED:
        raise Conflict(_("A closed campaign cannot be changed."), code="campaign_closed")


def legal_review_is_approved(review: LegalReview | None) -> bool:
    return bool(review and review.signed_off_at and review.signed_off_by_id)


@transaction.atomic
def campaign_transition(*, campaign: Campaign, to: str, by: User) -> Campaign:
    """Moves a campaign along draft → legal_review → active → closed.

    Raises Conflict (409) for a move the flow does not allow, and for activation before the
    legal review is signed off: no clip may be collected before that.
    """
    if not by.is_pm:
        raise NotAllowed(_("Only a data PM may change a campaign's status."))
    campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
    if to not in Status.values:
        raise DomainError(
            _("'%(status)s' is not a campaign status.") % {"status": to}, code="unknown_status"
        )
    if to not in TRANSITIONS[campaign.status]:
        raise Conflict(
            _("A campaign cannot go from %(from)s to %(to)s.")
            % {"from": campaign.get_status_display(), "to": Status(to).label},
            code="bad_transition",
        )
    if to == Status.ACTIVE:
        review = LegalReview.objects.filter(campaign=campaign).first()
        if not legal_review_is_approved(review):
            raise Conflict(
                _("The legal review must be complete and signed off before collection starts."),
                code="legal_review_pending",
            )
    campaign.status = to
    campaign.save(update_fields=["status"])
    return campaign


class CampaignNotCollecting(Conflict):
    code = "campaign_not_collecting"


def campaign_require_collecting(*, campaign: Campaign) -> None:
    """Raises CampaignNotCollecting (a DomainError: 409, code `campaign_not_collecting`) unless
    the campaign is active. Every path that stores a speaker's recording calls this first.

    The status is read from the database, not from the object handed in: a campaign closed a
    moment ago must stop an upload that loaded it earlier.
    """
    status = Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).first()
    if status != Status.ACTIVE:
        label = Status(status).label if status else _("Deleted")
        raise CampaignNotCollecting(
            _("Campaign '%(name)s' is not collecting recordings (status: %(status)s).")
            % {"name": campaign.name, "status": label}
        )


# --- legal review ------------------------------------------------------------------------------


@transaction.atomic
def legal_review_update(*, campaign: Campaign, **answers: Any) -> LegalReview:
    """Saves checklist answers. Any change after a sign-off clears it: the PM signs again."""
    unknown = set(answers) - LEGAL_FIELDS
    if unknown:
        raise DomainError(f"unknown legal review fields: {', '.join(sorted(unknown))}")
    if campaign.status in (Status.ACTIVE, Status.CLOSED):
        raise Conflict(
            _("The legal review of an active or closed campaign cannot be changed."),
            code="legal_review_locked",
        )
    LegalReview.objects.get_or_create(campaign=campaign)
    review = LegalReview.objects.select_for_update(no_key=True).get(campaign=campaign)
    changed = [field for field, value in answers.items() if getattr(review, field) != value]
    for field in changed:
        setattr(review, field, answers[field])
    if changed and review.signed_off_at:
        review.signed_off_at = None
        review.signed_off_by = None
    review.full_clean()
    review.save()
    return review


def legal_review_missing(review: LegalReview) -> list[str]:
    """The checklist items still open, by their labels."""
    missing = [_legal_label(field) for field in LEGAL_CHECKLIST if not getattr(review, field)]
    if not review.minors_policy.strip():
        missing.append(_legal_label("minors_policy"))
    return missing


def _legal_label(name: str) -> str:
    field = LegalReview._meta.get_field(name)
    # The checklist items are LegalReview's own columns, never a reverse relation.
    assert isinstance(field, Field)
    return str(field.verbose_name)


@transaction.atomic
def legal_review_sign_off(*, campaign: Campaign, by: User) -> LegalReview:
    """A named PM signs the complete checklist; the time is recorded."""
    if not by.is_pm:
        raise NotAllowed(_("Only a data PM may sign off a legal review."))
    if campaign.status in (Status.ACTIVE, Status.CLOSED):
        raise Conflict(
            _("The legal review of an active or closed campaign cannot be changed."),
            code="legal_review_locked",
        )
    LegalReview.objects.get_or_create(campaign=campaign)
    review = LegalReview.objects.select_for_update(no_key=True).get(campaign=campaign)
    missing = legal_review_missing(review)
    if missing:
        raise DomainError(
            _("The checklist is incomplete: %(items)s.") % {"items": ", ".join(missing)},
            code="legal_review_incomplete",
        )
    if not campaign.consent_documents.exists():
        raise DomainError(
            _("The campaign has no consent document yet: write one before signing off."),
            code="consent_document_missing",
        )
    review.signed_off_by = by
    review.signed_off_at = timezone.now()
    review.save(update_fields=["signed_off_by", "signed_off_at"])
    return review


# --- environments and channels -----------------------------------------------------------------

Place = RecordingEnvironment | CollectionChannel
# Saving gives back the same kind of place it was given.
PlaceT = TypeVar("PlaceT", bound=Place)


def _place_save(place: PlaceT) -> PlaceT:
    campaign_require_open(campaign=place.campaign)
    # Name clashes surface as the IntegrityError below: a 409, the same for a race.
    place.full_clean(exclude=["campaign"], validate_constraints=False)
    try:
        with transaction.atomic():
            place.save()
    except IntegrityError as error:  # two PMs adding the same name at once
        raise Conflict(
            _("'%(name)s' exists already in this campaign.") % {"name": place.name},
            code="duplicate_name",
        ) from error
    return place


def environment_create(*, campaign: Campaign, **fields: Any) -> RecordingEnvironment:
    return _place_save(RecordingEnvironment(campaign=campaign, **fields))


def channel_create(*, campaign: Campaign, **fields: Any) -> CollectionChannel:
    """Licensed media needs its source URL and licence (CollectionChannel.clean checks)."""
    return _place_save(CollectionChannel(campaign=campaign, **fields))


def place_update(*, place: PlaceT, **changes: Any) -> PlaceT:
    """Updates an environment or a channel."""
    for field, value in changes.items():
        if field in {"id", "pk", "campaign", "campaign_id"}:
            raise DomainError(f"'{field}' cannot be changed")
        setattr(place, field, value)
    return _place_save(place)


def place_delete(*, place: Place) -> None:
    """Deletes an unused environment or channel; one that recordings point at stays."""
    campaign_require_open(campaign=place.campaign)
    try:
        place.delete()
    except ProtectedError as error:
        raise Conflict(
            _("'%(name)s' is in use by recordings or speakers and cannot be deleted.")
            % {"name": place.name},
            code="in_use",
        ) from error


# --- prompts -----------------------------------------------------------------------------------


@transaction.atomic
def prompts_add(*, campaign: Campaign, texts: list[str], category: str = "") -> list[Prompt]:
    cleaned = [text.strip() for text in texts if text.strip()]
    if not cleaned:
        raise DomainError(_("No prompt text given."), code="empty_prompts")
    return Prompt.objects.bulk_create(
        Prompt(campaign=campaign, text=text, category=category) for text in cleaned
    )


@transaction.atomic
def campaign_labelers_set(*, campaign: Campaign, labelers: list[User]) -> Campaign:
    """Lists who works on the campaign (labelers and reviewers); an empty list opens it to all.

    Tasks already leased stay with their holders until they submit or the lease runs out.
    """
    campaign_require_open(campaign=campaign)
    outsiders = sorted(user.username for user in labelers if user.role not in LABELING_ROLES)
    if outsiders:
        raise DomainError(
            f"only labelers and reviewers can work on a campaign, not {', '.join(outsiders)}",
            code="not_labeling_staff",
        )
    campaign.labelers.set(labelers)
    return campaign
