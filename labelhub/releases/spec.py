"""What a release holds: the spec a PM writes, checked once, stored as JSON on the release.

Some rules are not part of any spec because no spec may turn them off: the speaker's consent
must allow delivery to a third party, curation exclusions always apply, and withdrawn speakers
never ship (see releases.selectors.release_recordings).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import PurePosixPath

from django.utils.translation import gettext as _
from rest_framework import serializers

from labelhub.accounts.models import Organisation
from labelhub.campaigns.demographics import AgeBand, Gender
from labelhub.campaigns.models import Campaign, QuotaCell, SpeechStyle
from labelhub.errors import DomainError
from labelhub.releases.renditions import AUDIO_FORMATS, EXTRA_FORMATS, Rendition, rendition_make

ANY_FLAG = "*"  # in exclude_quality_flags: leave out every clip with any quality flag


class WrongClient(DomainError):
    """A release would go to an organisation that is not its campaigns' client."""

    code = "wrong_client"


def campaigns_client_check(
    *, campaigns: Iterable[Campaign], client: Organisation, where: str = ""
) -> None:
    """Every campaign of a release belongs to the client it is delivered to, or WrongClient
    names the first that does not, its client and the one asked for. The one check for the
    release's client and for the campaigns its spec pools in."""
    for campaign in campaigns:
        if campaign.client_id != client.pk:
            raise WrongClient(
                where
                + _(
                    "campaign '%(campaign)s' belongs to %(owner)s, not to %(client)s: a release "
                    "is delivered only to its campaigns' client"
                )
                % {"campaign": campaign.name, "owner": campaign.client.name, "client": client.name}
            )


class _SpecSerializer(serializers.Serializer):
    extra_campaigns = serializers.ListField(child=serializers.IntegerField(), required=False)
    quota_cells = serializers.ListField(child=serializers.IntegerField(), required=False)
    age_bands = serializers.ListField(
        child=serializers.ChoiceField(choices=AgeBand.choices), required=False
    )
    genders = serializers.ListField(
        child=serializers.ChoiceField(choices=Gender.choices), required=False
    )
    regions = serializers.ListField(child=serializers.CharField(), required=False)
    dialects = serializers.ListField(child=serializers.CharField(), required=False)
    speech_styles = serializers.ListField(
        child=serializers.ChoiceField(choices=SpeechStyle.choices), required=False
    )
    recorded_from = serializers.DateField(required=False, allow_null=True)
    recorded_to = serializers.DateField(required=False, allow_null=True)
    approved_only = serializers.BooleanField(required=False, default=True)
    exclude_quality_flags = serializers.ListField(child=serializers.CharField(), required=False)
    min_duration = serializers.FloatField(required=False, allow_null=True, min_value=0)
    max_duration = serializers.FloatField(required=False, allow_null=True, min_value=0)
    max_draft_wer = serializers.FloatField(required=False, allow_null=True, min_value=0)
    keep_test_set = serializers.BooleanField(required=False, default=False)
    audio_format = serializers.ChoiceField(choices=AUDIO_FORMATS, required=False, default="wav")
    include_originals = serializers.BooleanField(required=False, default=False)
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=EXTRA_FORMATS), required=False
    )
    kaldi_audio_prefix = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=500
    )
    sentence_disjoint = serializers.BooleanField(required=False, allow_null=True, default=None)
    resplit = serializers.DictField(required=False, allow_null=True, default=None)

    def validate_resplit(self, value: dict | None) -> dict | None:
        if value is None:
            return None
        unknown = set(value) - {"reason"}
        reason = value.get("reason")
        if unknown or not isinstance(reason, str) or not reason.strip():
            raise serializers.ValidationError(
                _('give {"reason": "..."}: say why every speaker is assigned a split afresh')
            )
        return {"reason": reason.strip()[:500]}

    def validate_kaldi_audio_prefix(self, value: str) -> str:
        if value and (not PurePosixPath(value).is_absolute() or any(c.isspace() for c in value)):
            raise serializers.ValidationError(
                _("give an absolute path with no spaces, e.g. /data/corpora/acme")
            )
        # Kaldi's writer joins prefix and path as they are: one slash between them.
        return value.rstrip("/") + "/" if value else ""

    def validate(self, data: dict) -> dict:
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(f"unknown spec keys: {sorted(unknown)}")
        low, high = data.get("min_duration"), data.get("max_duration")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError("min_duration is above max_duration")
        start, end = data.get("recorded_from"), data.get("recorded_to")
        if start and end and start > end:
            raise serializers.ValidationError("recorded_from is after recorded_to")
        return data


@dataclass(frozen=True)
class ReleaseSpec:
    # The release's campaign FK is the dataset (versions count per campaign); extra campaigns
    # are pooled into it, e.g. a follow-up collection for a thin demographic cell.
    extra_campaigns: list[int] = field(default_factory=list)
    quota_cells: list[int] = field(default_factory=list)  # an item must match one, if any
    age_bands: list[str] = field(default_factory=list)
    genders: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    dialects: list[str] = field(default_factory=list)
    speech_styles: list[str] = field(default_factory=list)
    recorded_from: date | None = None
    recorded_to: date | None = None
    approved_only: bool = True
    exclude_quality_flags: list[str] = field(default_factory=list)
    min_duration: float | None = None
    max_duration: float | None = None
    max_draft_wer: float | None = None
    # Accepted so older specs load; every split is now kept across versions (releases.split_plan).
    keep_test_set: bool = False
    # "flac" holds the same normalised samples, losslessly, in fewer bytes than "wav".
    audio_format: str = "wav"
    # Also ship each raw upload byte for byte under originals/ (see releases.archive).
    include_originals: bool = False
    # Extra layouts (releases.renditions.EXTRA_FORMATS). These three choose the version's
    # default rendition only: other renditions of the same content are built on request.
    formats: list[str] = field(default_factory=list)
    # The absolute path of the archive's top folder once unpacked (e.g. /data/acme-tv-v3):
    # Kaldi's wav.scp then names each clip by an absolute path (ESPnet-style recipes);
    # "": paths relative to the top folder.
    kaldi_audio_prefix: str = ""
    # Keep each prompt text in one split; None: when some prompt is read by two speakers.
    sentence_disjoint: bool | None = None
    # {"reason": ...}: reassign every speaker's split instead of keeping the recorded ones.
    resplit: dict | None = None

    def as_json(self) -> dict:
        data = asdict(self)
        for key in ("recorded_from", "recorded_to"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @property
    def rendition(self) -> Rendition:
        """The version's default rendition."""
        return rendition_make(
            audio_format=self.audio_format,
            include_originals=self.include_originals,
            formats=self.formats,
        )

    def campaign_ids(self, campaign: Campaign) -> list[int]:
        return sorted({campaign.pk, *self.extra_campaigns})


def spec_parse(data: dict | None, *, campaign: Campaign) -> ReleaseSpec:
    """Checks a spec against the campaign; a DomainError (code bad_spec) names the problem."""
    incoming = _SpecSerializer(data=data or {})
    if not incoming.is_valid():
        field_name, problems = next(iter(incoming.errors.items()))
        problem = problems[0] if isinstance(problems, list) else problems
        if isinstance(problem, dict):  # a list child's error: {index: [message]}
            problem = next(iter(problem.values()))[0]
        where = "" if field_name == "non_field_errors" else f"{field_name}: "
        raise DomainError(f"spec: {where}{problem}", code="bad_spec")
    spec = ReleaseSpec(**incoming.validated_data)
    missing = set(spec.extra_campaigns) - set(
        Campaign.objects.filter(pk__in=spec.extra_campaigns).values_list("pk", flat=True)
    )
    if missing:
        raise DomainError(f"spec: extra_campaigns: no campaign {sorted(missing)}", code="bad_spec")
    campaigns_client_check(
        campaigns=Campaign.objects.filter(pk__in=spec.extra_campaigns).select_related("client"),
        client=campaign.client,
        where="spec: extra_campaigns: ",
    )
    cells = QuotaCell.objects.filter(
        pk__in=spec.quota_cells, campaign__in=spec.campaign_ids(campaign)
    )
    if cells.count() != len(set(spec.quota_cells)):
        raise DomainError(
            "spec: quota_cells must be cells of the release's campaigns", code="bad_spec"
        )
    return spec


def spec_load(data: dict) -> ReleaseSpec:
    """A stored spec back as a ReleaseSpec (it was checked when the release was created)."""
    values = dict(data or {})
    for key in ("recorded_from", "recorded_to"):
        if values.get(key):
            values[key] = date.fromisoformat(values[key])
    known = ReleaseSpec.__dataclass_fields__
    return ReleaseSpec(**{key: value for key, value in values.items() if key in known})
