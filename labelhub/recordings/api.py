from pathlib import Path

from django.http import HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labelhub.accounts.permissions import IsLabelingStaff, IsPM, signed_in_user
from labelhub.campaigns.models import Campaign, Prompt
from labelhub.errors import Conflict
from labelhub.recordings.bulk import bulk_upload
from labelhub.recordings.filters import ID_PARAMETERS, MAX_PAGE_SIZE, filters_parse, page_parse
from labelhub.recordings.models import BulkUpload, Recording
from labelhub.recordings.selectors import (
    bulk_upload_rows,
    recording_list,
    recording_page,
    recordings_visible_to,
)
from labelhub.recordings.services import recording_collect
from labelhub.recordings.spectrogram import SpectrogramRequestError, spectrogram_png
from labelhub.recordings.spectrogram_params import spectrogram_window
from labelhub.renderers import FiniteFloatsMixin
from labelhub.speakers.models import Speaker
from labelhub.storage import byte_source, presigned_url
from labelhub.streaming import ranged_file_response
from labelhub.validation import InvalidParameter


class RecordingUploadSerializer(serializers.Serializer):
    speaker = serializers.PrimaryKeyRelatedField(queryset=Speaker.objects.all())
    prompt = serializers.PrimaryKeyRelatedField(
        queryset=Prompt.objects.all(), required=False, allow_null=True
    )
    file = serializers.FileField(allow_empty_file=True)


class RecordingSerializer(FiniteFloatsMixin, serializers.ModelSerializer):
    speaker_code = serializers.CharField(source="speaker.code", read_only=True)

    class Meta:
        model = Recording
        fields = [
            "id",
            "uid",
            "campaign",
            "speaker",
            "speaker_code",
            "prompt",
            "environment",
            "channel",
            "original_filename",
            "raw_sha256",
            "raw_size_bytes",
            "format_name",
            "codec",
            "status",
            "rejection_code",
            "rejection_reason",
            "duration_seconds",
            "sample_rate",
            "channels",
            "peak_dbfs",
            "rms_dbfs",
            "clipping_ratio",
            "quality_flags",
            "asr_status",
            "asr_error",
            "created_at",
            "ingested_at",
            # Long-form: a source is kept whole; a segment names its source and span.
            "kind",
            "source",
            "start_seconds",
            "end_seconds",
            "asr_progress",
        ]
        read_only_fields = ["kind", "source", "start_seconds", "end_seconds", "asr_progress"]


class RecordingPagination(PageNumberPagination):
    """What RecordingListApi's page_parse reads (?page=, ?page_size=), for the schema."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


# The filters filters_parse reads (the recordings browser's), each refused by name when bad.
RECORDING_FILTERS = [
    *(OpenApiParameter(name, OpenApiTypes.INT) for name in ID_PARAMETERS),
    OpenApiParameter("status", OpenApiTypes.STR, enum=Recording.Status.values),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=Recording.Kind.values),
    OpenApiParameter("speaker", OpenApiTypes.STR, description="A speaker's code or id."),
    OpenApiParameter("flag", OpenApiTypes.STR, description="A quality or ASR-draft flag."),
    OpenApiParameter("rejection_code", OpenApiTypes.STR),
    OpenApiParameter("created_from", OpenApiTypes.DATE),
    OpenApiParameter("created_to", OpenApiTypes.DATE, description="Inclusive."),
]


@extend_schema_view(
    get=extend_schema(parameters=RECORDING_FILTERS, responses=RecordingSerializer(many=True)),
    post=extend_schema(request=RecordingUploadSerializer, responses={201: RecordingSerializer}),
)
class RecordingListApi(APIView):
    """GET: the recordings the user may see (recordings_visible_to), filtered and paged.
    POST: one upload, by a PM."""

    parser_classes = [MultiPartParser]
    throttle_scope = "upload"
    pagination_class = RecordingPagination  # the schema's; get() pages with recording_page

    def get_permissions(self) -> list:
        return [IsPM()] if self.request.method == "POST" else [IsLabelingStaff()]

    def get(self, request: Request) -> Response:
        filters = filters_parse(request.query_params)
        page, page_size = page_parse(request.query_params)
        found = recording_page(
            recording_list(user=signed_in_user(request), filters=filters),
            page=page,
            page_size=page_size,
        )
        return Response(
            {
                "count": found["count"],
                "next": _page_url(request, page + 1) if found["has_next"] else None,
                "previous": _page_url(request, page - 1) if found["has_previous"] else None,
                "results": RecordingSerializer(found["rows"], many=True).data,
            }
        )

    def post(self, request: Request) -> Response:
        incoming = RecordingUploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        recording = recording_collect(
            speaker=incoming.validated_data["speaker"],
            prompt=incoming.validated_data.get("prompt"),
            uploaded_file=incoming.validated_data["file"],
            uploaded_by=signed_in_user(request),
        )
        return Response(RecordingSerializer(recording).data, status=status.HTTP_201_CREATED)


def _page_url(request: Request, page: int) -> str:
    params = request.query_params.copy()
    params["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


@extend_schema(responses=RecordingSerializer)
class RecordingDetailApi(APIView):
    permission_classes = [IsLabelingStaff]

    def get(self, request: Request, recording_id: int) -> Response:
        recording = get_object_or_404(
            recordings_visible_to(user=signed_in_user(request)), pk=recording_id
        )
        return Response(RecordingSerializer(recording).data)


@extend_schema(
    responses={
        (200, "audio/wav"): OpenApiResponse(OpenApiTypes.BINARY, description="The audio."),
        (206, "audio/wav"): OpenApiResponse(OpenApiTypes.BINARY, description="A Range of it."),
        302: OpenApiResponse(description="A signed object-storage address for the audio."),
    }
)
class RecordingAudioApi(APIView):
    """The normalised 16 kHz WAV, for the people who label it. Never a public URL."""

    permission_classes = [IsLabelingStaff]

    def get(self, request: Request, recording_id: int) -> HttpResponseBase:
        recording = get_object_or_404(
            recordings_visible_to(user=signed_in_user(request)), pk=recording_id
        )
        if not recording.normalised_file:
            raise Conflict(
                f"recording {recording.pk} has no playable audio yet ({recording.status})"
            )
        # Object storage serves the bytes (and the Range requests) itself, to whoever holds
        # the short-lived signed URL handed only to a user who passed the checks above.
        name = recording.normalised_file.name or ""
        signed = presigned_url(name=name, content_type="audio/wav")
        if signed is not None:
            return HttpResponseRedirect(signed)
        # Range lets the browser seek a long file without fetching all of it first.
        response = ranged_file_response(
            request,
            Path(recording.normalised_file.path),
            content_type="audio/wav",
            etag=f"{recording.uid}-{recording.normalised_file.name}",
        )
        response["Cache-Control"] = "private, max-age=3600"
        return response


@extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY})
class RecordingSpectrogramApi(APIView):
    """A PNG spectrogram of one window of the audio, so a two-hour file is never downloaded.

    Times are in the source's seconds. A segment's id draws its source's audio, by default over
    the segment's span; a clip or a source defaults to the whole file.
    """

    permission_classes = [IsLabelingStaff]

    def get(self, request: Request, recording_id: int) -> HttpResponse:
        recording = get_object_or_404(
            recordings_visible_to(user=signed_in_user(request)), pk=recording_id
        )
        audio = recording.source if recording.kind == Recording.Kind.SEGMENT else recording
        assert audio is not None  # a segment has its source (recording_segment_has_span)
        if not audio.normalised_file:
            raise Conflict(f"recording {audio.pk} has no playable audio yet ({audio.status})")
        window = spectrogram_window(request.query_params, recording=recording)
        # Only the header and the window's frames are read, by ranged reads on S3 too.
        with byte_source(audio.normalised_file) as wav:
            try:
                png = spectrogram_png(wav, **window)
            except SpectrogramRequestError as bad:
                raise InvalidParameter(str(bad), parameter=bad.parameter) from bad
        response = HttpResponse(png, content_type="image/png")
        # The audio never changes once normalised, so a window's picture never does either.
        response["Cache-Control"] = "private, max-age=3600"
        return response


class BulkUploadSerializer(serializers.Serializer):
    archive = serializers.FileField()


class BulkErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class BulkRowSerializer(serializers.Serializer):
    """One manifest row as selectors.bulk_upload_rows follows it."""

    row = serializers.IntegerField()
    file = serializers.CharField(allow_blank=True)
    stage = serializers.ChoiceField(choices=["upload", "ingest"])
    state = serializers.CharField()
    recording = serializers.IntegerField(allow_null=True)
    uid = serializers.UUIDField(allow_null=True)
    recording_url = serializers.CharField(allow_null=True)
    code = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True)


class BulkSummarySerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    pending = serializers.IntegerField()


class BulkAcceptedRowSerializer(serializers.Serializer):
    """A manifest row stored as a recording (bulk.BulkReport.accepted)."""

    row = serializers.IntegerField()
    file = serializers.CharField()
    recording = serializers.IntegerField()
    uid = serializers.UUIDField()


class BulkRejectedRowSerializer(serializers.Serializer):
    """A manifest row refused as read (bulk.BulkReport.rejected): its error code and message."""

    row = serializers.IntegerField()
    file = serializers.CharField()
    code = serializers.CharField()
    error = serializers.CharField()


class BulkUploadOutSerializer(serializers.Serializer):
    """bulk_upload_body(): the upload, the manifest as read, and each row's state now."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=BulkUpload.Status.choices)
    progress = serializers.IntegerField()
    row_count = serializers.IntegerField()
    error = BulkErrorSerializer(allow_null=True)
    url = serializers.CharField()
    # As the manifest was read; absent until then.
    accepted_count = serializers.IntegerField(required=False)
    rejected_count = serializers.IntegerField(required=False)
    accepted = BulkAcceptedRowSerializer(many=True, required=False)
    rejected = BulkRejectedRowSerializer(many=True, required=False)
    rows = BulkRowSerializer(many=True)
    summary = BulkSummarySerializer()
    settled = serializers.BooleanField()


def bulk_upload_body(upload: BulkUpload) -> dict:
    return {
        "id": upload.pk,
        "status": upload.status,
        "progress": upload.progress,
        "row_count": upload.row_count,
        "error": {"code": upload.error_code, "message": upload.error} if upload.error else None,
        "url": f"/api/bulk-uploads/{upload.pk}/",
        # accepted_count/rejected_count: as the manifest was read; summary/rows: after ingest.
        **upload.report,
        **bulk_upload_rows(upload=upload),
    }


@extend_schema_view(
    get=extend_schema(responses=BulkUploadOutSerializer(many=True)),
    post=extend_schema(
        request=BulkUploadSerializer,
        responses={200: BulkUploadOutSerializer, 202: BulkUploadOutSerializer},
    ),
)
class BulkUploadApi(APIView):
    """Studio bulk upload: a ZIP of audio and one CSV manifest, reported row by row.

    200 with the report when processed at once (small uploads); 202 when a worker took it, to be
    followed at the returned url.
    """

    permission_classes = [IsPM]
    parser_classes = [MultiPartParser]
    throttle_scope = "upload"

    def get(self, request: Request, campaign_id: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        uploads = campaign.bulk_uploads.order_by("-created_at")[:100]
        return Response([bulk_upload_body(upload) for upload in uploads])

    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        incoming = BulkUploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        upload = bulk_upload(
            campaign=campaign,
            archive=incoming.validated_data["archive"],
            uploaded_by=signed_in_user(request),
        )
        done = upload.status == BulkUpload.Status.DONE
        return Response(
            bulk_upload_body(upload),
            status=status.HTTP_200_OK if done else status.HTTP_202_ACCEPTED,
        )


@extend_schema(responses=BulkUploadOutSerializer)
class BulkUploadDetailApi(APIView):
    permission_classes = [IsPM]

    def get(self, request: Request, bulk_upload_id: int) -> Response:
        return Response(bulk_upload_body(get_object_or_404(BulkUpload, pk=bulk_upload_id)))
