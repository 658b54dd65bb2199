from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labelhub.accounts.permissions import IsPM, signed_in_user
from labelhub.campaigns.demographics import AgeBand, Gender
from labelhub.campaigns.models import Campaign, CollectionChannel
from labelhub.speakers.invites import invite_for_token, invite_path
from labelhub.speakers.models import ConsentDocument, ConsentRecord, Speaker, SpeakerInvite
from labelhub.speakers.recorder import recorder_state
from labelhub.speakers.services import (
    consent_document_create,
    consent_record_add,
    evidence_hash,
    invite_accept,
    invites_create,
    speaker_create_with_consent,
)
from labelhub.speakers.withdrawal import BY_PM, consent_withdraw


class ConsentDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConsentDocument
        fields = [
            "id",
            "version",
            "language",
            "title",
            "text",
            "text_sha256",
            "allows_training",
            "allows_third_party_delivery",
            "allows_commercial_use",
            "retention_days",
            "created_at",
        ]
        read_only_fields = ["id", "version", "text_sha256", "created_at"]
        extra_kwargs = {"language": {"required": False}}


class SpeakerInSerializer(serializers.ModelSerializer):
    consent_document = serializers.IntegerField()
    consent_method = serializers.ChoiceField(choices=ConsentRecord.Method.choices)

    class Meta:
        model = Speaker
        fields = [
            "code",
            "age_band",
            "gender",
            "region",
            "dialect",
            "native_language",
            "consent_document",
            "consent_method",
        ]
        extra_kwargs = {"code": {"required": False}}
        validators: list = []  # uniqueness is checked by the service with the campaign known


class SpeakerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Speaker
        fields = [
            "id",
            "code",
            "age_band",
            "birth_year",
            "gender",
            "region",
            "dialect",
            "native_language",
            "channel",
            "withdrawn_at",
        ]


@extend_schema_view(
    get=extend_schema(responses=ConsentDocumentSerializer(many=True)),
    post=extend_schema(
        request=ConsentDocumentSerializer, responses={201: ConsentDocumentSerializer}
    ),
)
class ConsentDocumentListApi(APIView):
    permission_classes = [IsPM]

    def get(self, request: Request, campaign_id: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        documents = campaign.consent_documents.all()
        return Response(ConsentDocumentSerializer(documents, many=True).data)

    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        incoming = ConsentDocumentSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        document = consent_document_create(campaign=campaign, **incoming.validated_data)
        return Response(ConsentDocumentSerializer(document).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(responses=SpeakerSerializer(many=True)),
    post=extend_schema(request=SpeakerInSerializer, responses={201: SpeakerSerializer}),
)
class SpeakerListApi(APIView):
    permission_classes = [IsPM]

    def get(self, request: Request, campaign_id: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        return Response(SpeakerSerializer(campaign.speakers.all(), many=True).data)

    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        incoming = SpeakerInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        document = get_object_or_404(
            ConsentDocument, pk=data.pop("consent_document"), campaign=campaign
        )
        speaker, _consent = speaker_create_with_consent(
            campaign=campaign,
            document=document,
            method=data.pop("consent_method"),
            code=data.pop("code", ""),
            demographics=data,
            evidence_sha256=evidence_hash(
                ip_address=request.META.get("REMOTE_ADDR", ""),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            ),
            recorded_by=signed_in_user(request),
        )
        return Response(SpeakerSerializer(speaker).data, status=status.HTTP_201_CREATED)


# --- invites (PM) ------------------------------------------------------------------------------


class InviteInSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=500, default=1)
    speaker_code = serializers.CharField(max_length=32, required=False, allow_blank=True)
    channel = serializers.IntegerField(required=False, allow_null=True)
    prompt_count = serializers.IntegerField(min_value=1, max_value=1000, default=40)


class InviteSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = SpeakerInvite
        fields = [
            "id",
            "url",
            "speaker_code",
            "channel",
            "prompt_count",
            "created_at",
            "expires_at",
            "used_at",
            "revoked_at",
            "speaker",
        ]

    def get_url(self, invite: SpeakerInvite) -> str:
        return self.context["request"].build_absolute_uri(invite_path(invite=invite))


@extend_schema_view(
    get=extend_schema(responses=InviteSerializer(many=True)),
    post=extend_schema(request=InviteInSerializer, responses={201: InviteSerializer(many=True)}),
)
class InviteListApi(APIView):
    permission_classes = [IsPM]

    def get(self, request: Request, campaign_id: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        invites = campaign.invites.all()
        return Response(InviteSerializer(invites, many=True, context={"request": request}).data)

    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        incoming = InviteInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        channel_id = data.pop("channel", None)
        channel = (
            get_object_or_404(CollectionChannel, pk=channel_id, campaign=campaign)
            if channel_id
            else None
        )
        invites = invites_create(
            campaign=campaign, created_by=signed_in_user(request), channel=channel, **data
        )
        out = InviteSerializer(invites, many=True, context={"request": request})
        return Response(out.data, status=status.HTTP_201_CREATED)


@extend_schema(
    request=None,
    responses={
        202: inline_serializer(
            "SpeakerWithdrawn",
            {
                "speaker": serializers.IntegerField(),
                "code": serializers.CharField(),
                "withdrawn_at": serializers.DateTimeField(),
            },
        )
    },
)
class SpeakerWithdrawApi(APIView):
    """A PM withdraws a speaker's consent (on a phone call, a letter): audio is deleted."""

    permission_classes = [IsPM]

    def post(self, request: Request, speaker_id: int) -> Response:
        speaker = get_object_or_404(Speaker, pk=speaker_id)
        speaker = consent_withdraw(speaker=speaker, method=BY_PM, by=signed_in_user(request))
        return Response(
            {"speaker": speaker.pk, "code": speaker.code, "withdrawn_at": speaker.withdrawn_at},
            status=status.HTTP_202_ACCEPTED,
        )


# --- the recorder page's endpoints: the invite token in the URL is the only credential ----------


class RecorderConsentInSerializer(serializers.Serializer):
    document = serializers.IntegerField()
    agree = serializers.BooleanField()
    # Required as the act of signing, then dropped: names never sit beside audio metadata.
    signed_name = serializers.CharField(max_length=200)
    birth_year = serializers.IntegerField(required=False, allow_null=True)
    age_band = serializers.ChoiceField(choices=AgeBand.choices, required=False, allow_blank=True)
    gender = serializers.ChoiceField(choices=Gender.choices)
    region = serializers.CharField(max_length=64, required=False, allow_blank=True)
    dialect = serializers.CharField(max_length=64, required=False, allow_blank=True)
    native_language = serializers.CharField(max_length=16, required=False, allow_blank=True)
    guardian_agree = serializers.BooleanField(default=False)
    guardian_name = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate_agree(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(_("You must agree to the consent to continue."))
        return value

    def validate(self, data: dict) -> dict:
        if data.get("guardian_agree") and not data.get("guardian_name", "").strip():
            raise serializers.ValidationError(
                {"guardian_name": _("The guardian must type their name to sign.")}
            )
        return data


class RecorderCampaignSerializer(serializers.Serializer):
    name = serializers.CharField()
    min_seconds = serializers.FloatField()
    max_seconds = serializers.FloatField()
    target_seconds = serializers.FloatField()
    age_of_consent = serializers.IntegerField()
    collecting = serializers.BooleanField()


class RecorderDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    language = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField()
    text_sha256 = serializers.CharField()
    paragraphs = serializers.ListField(child=serializers.CharField())


def _pairs() -> serializers.ListField:
    # [value, label] pairs, as the page fills its <select>s.
    return serializers.ListField(child=serializers.ListField(child=serializers.CharField()))


class RecorderChoicesSerializer(serializers.Serializer):
    age_bands = _pairs()
    genders = _pairs()
    regions = _pairs()
    dialects = _pairs()


class RecorderUrlsSerializer(serializers.Serializer):
    state = serializers.CharField()
    consent = serializers.CharField()
    recordings = serializers.CharField()
    withdraw = serializers.CharField(required=False, help_text="Once signed.")


class RecorderSpeakerSerializer(serializers.Serializer):
    code = serializers.CharField()


class RecorderProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class RecorderPromptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class RecorderStateSerializer(serializers.Serializer):
    """recorder.recorder_state(): everything the recorder page shows for one invite link."""

    campaign = RecorderCampaignSerializer()
    document = RecorderDocumentSerializer(allow_null=True)
    languages = _pairs()
    choices = RecorderChoicesSerializer()
    urls = RecorderUrlsSerializer()
    signed = serializers.BooleanField()
    withdrawn = serializers.BooleanField()
    speaker = RecorderSpeakerSerializer(allow_null=True)
    progress = RecorderProgressSerializer()
    prompt = RecorderPromptSerializer(allow_null=True)


class RecorderApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    schema_error_statuses = (410,)  # an expired invite link (see labelhub/schema.py)

    def invite(self, token: str) -> SpeakerInvite:
        return invite_for_token(token=token)

    def state(self, request: Request, invite: SpeakerInvite) -> dict:
        return recorder_state(invite=invite, language=get_language() or "")


@extend_schema(responses=RecorderStateSerializer)
class RecorderStateApi(RecorderApi):
    def get(self, request: Request, token: str) -> Response:
        return Response(self.state(request, self.invite(token)))


@extend_schema(request=RecorderConsentInSerializer, responses={201: RecorderStateSerializer})
class RecorderConsentApi(RecorderApi):
    def post(self, request: Request, token: str) -> Response:
        invite = self.invite(token)
        incoming = RecorderConsentInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        document = get_object_or_404(
            ConsentDocument, pk=data["document"], campaign_id=invite.campaign_id
        )
        demographics = {
            field: data.get(field)
            for field in ("birth_year", "age_band", "gender", "region", "dialect")
        }
        demographics["native_language"] = data.get("native_language", "")
        invite_accept(
            invite=invite,
            document=document,
            demographics=demographics,
            evidence_sha256=evidence_hash(
                ip_address=request.META.get("REMOTE_ADDR", ""),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            ),
            guardian_consents=data["guardian_agree"],
        )
        invite.refresh_from_db()
        return Response(self.state(request, invite), status=status.HTTP_201_CREATED)


class ConsentRecordInSerializer(serializers.Serializer):
    consent_document = serializers.IntegerField()
    consent_method = serializers.ChoiceField(choices=ConsentRecord.Method.choices)
    signer = serializers.ChoiceField(choices=ConsentRecord.Signer.choices)


@extend_schema(
    request=ConsentRecordInSerializer,
    responses={
        201: inline_serializer(
            "ConsentRecorded",
            {
                "id": serializers.IntegerField(),
                "signer": serializers.ChoiceField(choices=ConsentRecord.Signer.choices),
                "signed_at": serializers.DateTimeField(),
            },
        )
    },
)
class SpeakerConsentApi(APIView):
    """A PM records a further consent for a speaker: typically a guardian's paper form."""

    permission_classes = [IsPM]

    def post(self, request: Request, speaker_id: int) -> Response:
        speaker = get_object_or_404(Speaker, pk=speaker_id)
        incoming = ConsentRecordInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        document = get_object_or_404(
            ConsentDocument, pk=data["consent_document"], campaign_id=speaker.campaign_id
        )
        consent = consent_record_add(
            speaker=speaker,
            document=document,
            method=data["consent_method"],
            signer=data["signer"],
            recorded_by=signed_in_user(request),
        )
        body = {"id": consent.pk, "signer": consent.signer, "signed_at": consent.signed_at}
        return Response(body, status=status.HTTP_201_CREATED)
