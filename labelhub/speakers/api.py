from django.shortcuts import get_object_or_404
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labelhub.accounts.permissions import IsPM
from labelhub.campaigns.models import Campaign
from labelhub.speakers.models import ConsentDocument, ConsentRecord, Speaker
from labelhub.speakers.services import (
    consent_document_create,
    evidence_hash,
    speaker_create_with_consent,
)


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
        fields = ["id", "code", "age_band", "gender", "region", "dialect", "native_language"]


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
            recorded_by=request.user,
        )
        return Response(SpeakerSerializer(speaker).data, status=status.HTTP_201_CREATED)
