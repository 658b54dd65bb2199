"""The analytics API: tables as JSON, re-collection drafts, bulk curation, product feedback."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labelhub.accounts.models import Organisation
from labelhub.accounts.permissions import IsPM, signed_in_user
from labelhub.analytics.selectors import campaigns_for_analytics
from labelhub.analytics.services import (
    exclusion_add,
    exclusion_lift,
    feedback_intake,
    recollection_draft,
)
from labelhub.analytics.tables import TABLES, UnknownTable, table_rows
from labelhub.errors import DomainError
from labelhub.recordings.models import Exclusion


@extend_schema(
    parameters=[
        OpenApiParameter("table", OpenApiTypes.STR, OpenApiParameter.PATH, enum=TABLES),
        OpenApiParameter(
            "by", OpenApiTypes.STR, description="The grouping of asr-error and labeling-cost."
        ),
    ],
    responses=inline_serializer(
        "AnalyticsTable",
        {
            "campaign": serializers.IntegerField(),
            "table": serializers.CharField(),
            # Each table has its own columns (see the analytics page); one object per row.
            "rows": serializers.ListField(child=serializers.DictField()),
        },
    ),
)
class TableApi(APIView):
    """GET /api/analytics/campaigns/<id>/<table>/?by=… — one analytics table as rows."""

    permission_classes = [IsPM]

    def get(self, request: Request, campaign_id: int, table: str) -> Response:
        campaign = get_object_or_404(
            campaigns_for_analytics(user=signed_in_user(request)), pk=campaign_id
        )
        try:
            rows = table_rows(campaign=campaign, table=table, by=request.query_params.get("by", ""))
        except UnknownTable as error:
            raise DomainError(str(error), code="unknown_table") from None
        return Response({"campaign": campaign.pk, "table": table, "rows": rows})


class RecollectionSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    # Fractions: 0.2 is a 20% error rate; 0.05 a ±5 point interval.
    error_threshold = serializers.FloatField(
        required=False, allow_null=True, default=None, min_value=0, max_value=10
    )
    ci_half_width = serializers.FloatField(
        required=False, default=0.05, min_value=0.001, max_value=1
    )


class RecollectionCellSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    # A field named label shadows DRF's Field.label (its text) in the stubs' eyes.
    label = serializers.CharField()  # type: ignore[assignment]
    target_clips = serializers.IntegerField()
    target_minutes = serializers.FloatField()
    target_speakers = serializers.IntegerField()


@extend_schema(
    request=RecollectionSerializer,
    responses={
        201: inline_serializer(
            "RecollectionDraft",
            {
                "id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "parent": serializers.IntegerField(),
                "quota_cells": RecollectionCellSerializer(many=True),
            },
        )
    },
)
class RecollectionApi(APIView):
    """POST /api/analytics/campaigns/<id>/recollection/ — drafts the re-collection campaign."""

    permission_classes = [IsPM]

    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = get_object_or_404(
            campaigns_for_analytics(user=signed_in_user(request)), pk=campaign_id
        )
        incoming = RecollectionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        child = recollection_draft(
            campaign=campaign, by=signed_in_user(request), **incoming.validated_data
        )
        cells = [
            {
                "id": cell.pk,
                "label": str(cell),
                "target_clips": cell.target_clips,
                "target_minutes": cell.target_minutes,
                "target_speakers": cell.target_speakers,
            }
            for cell in child.quota_cells.all()
        ]
        body = {"id": child.pk, "name": child.name, "parent": campaign.pk, "quota_cells": cells}
        return Response(body, status=status.HTTP_201_CREATED)


class ExclusionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Exclusion
        fields = [
            "id",
            "recording",
            "speaker",
            "reason",
            "note",
            "created_by",
            "created_at",
            "lifted_by",
            "lifted_at",
        ]


class ExclusionAddSerializer(serializers.Serializer):
    recording_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=10_000
    )
    speaker_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=10_000
    )
    reason = serializers.ChoiceField(choices=Exclusion.Reason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    campaign = serializers.IntegerField(required=False, allow_null=True, default=None)


@extend_schema(
    request=ExclusionAddSerializer,
    responses={
        201: inline_serializer("ExclusionsAdded", {"exclusions": ExclusionSerializer(many=True)})
    },
)
class ExclusionListApi(APIView):
    """POST /api/analytics/exclusions/ — exclude clips and/or speakers in bulk, all or nothing."""

    permission_classes = [IsPM]
    schema_error_statuses = (404,)  # the named campaign is not one the PM may curate

    def post(self, request: Request) -> Response:
        incoming = ExclusionAddSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        campaign_id = data.pop("campaign")
        campaign = (
            get_object_or_404(campaigns_for_analytics(user=signed_in_user(request)), pk=campaign_id)
            if campaign_id
            else None
        )
        exclusions = exclusion_add(by=signed_in_user(request), campaign=campaign, **data)
        return Response(
            {"exclusions": ExclusionSerializer(exclusions, many=True).data},
            status=status.HTTP_201_CREATED,
        )


class ExclusionLiftSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1)


@extend_schema(
    request=ExclusionLiftSerializer,
    responses=inline_serializer("ExclusionsLifted", {"exclusions": ExclusionSerializer(many=True)}),
)
class ExclusionLiftApi(APIView):
    """POST /api/analytics/exclusions/lift/ — lifts exclusions; their history stays."""

    permission_classes = [IsPM]

    def post(self, request: Request) -> Response:
        incoming = ExclusionLiftSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        lifted = exclusion_lift(
            exclusion_ids=incoming.validated_data["ids"], by=signed_in_user(request)
        )
        return Response({"exclusions": ExclusionSerializer(lifted, many=True).data})


class FeedbackSerializer(serializers.Serializer):
    client = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(kind=Organisation.Kind.CLIENT)
    )
    audio = serializers.FileField()
    heard_text = serializers.CharField()
    consent_reference = serializers.CharField(max_length=200)
    user_correction = serializers.CharField(required=False, allow_blank=True, default="")
    product = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    user_reference = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200
    )
    language = serializers.CharField(required=False, default="ko", max_length=16)
    age_band = serializers.CharField(required=False, allow_blank=True, default="", max_length=8)
    gender = serializers.CharField(required=False, allow_blank=True, default="", max_length=8)


@extend_schema(
    request=FeedbackSerializer,
    responses={
        201: inline_serializer(
            "FeedbackReceived",
            {
                "id": serializers.IntegerField(),
                "recording": serializers.IntegerField(),
                "recording_uid": serializers.UUIDField(),
                "campaign": serializers.IntegerField(),
                "status": serializers.CharField(),
                "consent_reference": serializers.CharField(),
            },
        )
    },
)
class FeedbackApi(APIView):
    """POST /api/feedback/ — a deployed product sends back a misrecognised utterance.

    The product authenticates with a PM's API token (the vendor runs the integration and names
    the client); the consent reference is required.
    """

    permission_classes = [IsPM]
    parser_classes = [MultiPartParser, FormParser]
    throttle_scope = "feedback"

    def post(self, request: Request) -> Response:
        incoming = FeedbackSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        report = feedback_intake(
            submitted_by=signed_in_user(request),
            audio=data.pop("audio"),
            client=data.pop("client"),
            **data,
        )
        body = {
            "id": report.pk,
            "recording": report.recording_id,
            "recording_uid": str(report.recording.uid),
            "campaign": report.recording.campaign_id,
            "status": report.recording.status,
            "consent_reference": report.consent_reference,
        }
        return Response(body, status=status.HTTP_201_CREATED)
