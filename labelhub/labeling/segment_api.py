"""The long-form segment API (see the segment contract): a source's segments, and span edits.

Text is not saved here; it goes through POST /api/tasks/<task_id>/submit/ like a clip's.
"""

from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labelhub.accounts.permissions import IsLabelingStaff, signed_in_user
from labelhub.labeling.segment_selectors import (
    segments_json,
    segments_visible_to,
    source_segments,
    source_speakers,
    sources_visible_to,
)
from labelhub.labeling.segment_services import (
    StaleSegment,
    segment_add,
    segment_change,
    segment_delete,
    segment_merge_next,
    segment_split,
)
from labelhub.recordings.models import Recording

# Seconds: far beyond any source a campaign accepts, small enough to stay a sane float.
MAX_SECONDS = 10 * 24 * 3600.0


def _url(request: Request | None, name: str, source_id: int, fallback: str) -> str:
    try:
        url = reverse(name, args=[source_id])
    except NoReverseMatch:  # the route lives in another app that may not be installed yet
        url = fallback
    return request.build_absolute_uri(url) if request else url


def source_block(source: Recording, request: Request | None) -> dict:
    """What the workbench needs to open a source: its audio, peaks, spectrogram and speakers."""
    pk = source.pk
    return {
        "id": pk,
        "duration": round(source.duration_seconds or 0.0, 3),
        "audio_url": _url(request, "recording-audio", pk, f"/api/recordings/{pk}/audio/"),
        "peaks_url": _url(request, "recording-peaks", pk, f"/api/recordings/{pk}/peaks/"),
        "spectrogram_url": _url(
            request, "recording-spectrogram", pk, f"/api/recordings/{pk}/spectrogram/"
        ),
        "segments_url": _url(request, "source-segments", pk, f"/api/sources/{pk}/segments/"),
        "speakers": [
            {"id": speaker.pk, "code": speaker.code}
            for speaker in source_speakers(campaign=source.campaign)
        ],
    }


def _one(request: Request, segment: Recording) -> dict:
    segment = Recording.objects.select_related("speaker", "task", "source").get(pk=segment.pk)
    assert segment.source is not None  # a segment always has its source (the model's check)
    user = signed_in_user(request)
    return segments_json(source=segment.source, segments=[segment], user=user)[0]


def _with_current(request: Request, error: StaleSegment) -> StaleSegment:
    # The client redraws the segment as it now is, then decides what to do with its edit.
    error.extra = {"current": _one(request, error.segment)}
    return error


class WindowSerializer(serializers.Serializer):
    start = serializers.FloatField(required=False, min_value=0, max_value=MAX_SECONDS)
    end = serializers.FloatField(required=False, min_value=0, max_value=MAX_SECONDS)


class SpanSerializer(serializers.Serializer):
    start = serializers.FloatField(min_value=0, max_value=MAX_SECONDS)
    end = serializers.FloatField(min_value=0, max_value=MAX_SECONDS)
    speaker = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, max_value=2**31 - 1)


class ChangeSerializer(VersionSerializer):
    start = serializers.FloatField(required=False, min_value=0, max_value=MAX_SECONDS)
    end = serializers.FloatField(required=False, min_value=0, max_value=MAX_SECONDS)
    speaker = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class SplitSerializer(VersionSerializer):
    at = serializers.FloatField(min_value=0, max_value=MAX_SECONDS)


class MergeSerializer(VersionSerializer):
    next_version = serializers.IntegerField(min_value=0, max_value=2**31 - 1)


def _valid(serializer_class: type[serializers.Serializer], data) -> dict:
    incoming = serializer_class(data=data)
    incoming.is_valid(raise_exception=True)
    return incoming.validated_data


class SpeakerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()


class SourceBlockSerializer(serializers.Serializer):
    """source_block(): what the workbench needs to open a source."""

    id = serializers.IntegerField()
    duration = serializers.FloatField()
    audio_url = serializers.CharField()
    peaks_url = serializers.CharField()
    spectrogram_url = serializers.CharField()
    segments_url = serializers.CharField()
    speakers = SpeakerRefSerializer(many=True)


class SegmentDraftSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    confidence = serializers.FloatField(allow_null=True)
    low_confidence = serializers.BooleanField()
    flags = serializers.ListField(child=serializers.CharField())
    # Each word is [start, end, text, probability], in the source's seconds.
    words = serializers.ListField(child=serializers.ListField())


class SegmentSerializer(serializers.Serializer):
    """segment_selectors.segment_json(): the contract's segment JSON."""

    id = serializers.IntegerField()
    task_id = serializers.IntegerField(allow_null=True)
    start = serializers.FloatField()
    end = serializers.FloatField()
    speaker = SpeakerRefSerializer()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["ready", "removed"])
    task_status = serializers.CharField(allow_null=True)
    held_by_me = serializers.BooleanField()
    editable = serializers.BooleanField()
    base_revision_id = serializers.IntegerField(allow_null=True)
    text = serializers.CharField(allow_blank=True)
    revision_kind = serializers.CharField(allow_null=True)
    draft = SegmentDraftSerializer()


class SegmentView(APIView):
    permission_classes = [IsLabelingStaff]

    def segment(self, request: Request, segment_id: int) -> Recording:
        return get_object_or_404(segments_visible_to(user=signed_in_user(request)), pk=segment_id)

    def run(self, request: Request, action, **kwargs):
        try:
            return action(user=request.user, **kwargs)
        except StaleSegment as error:
            raise _with_current(request, error) from None


@extend_schema_view(
    get=extend_schema(
        parameters=[WindowSerializer],
        responses=inline_serializer(
            "SourceSegments",
            {"source": SourceBlockSerializer(), "segments": SegmentSerializer(many=True)},
        ),
    ),
    post=extend_schema(request=SpanSerializer, responses={201: SegmentSerializer}),
)
class SourceSegmentsApi(SegmentView):
    """GET: the source's live segments in time order (optionally a ?start=&end= window).
    POST {"start", "end", "speaker"?}: adds a segment in a gap, its task leased to the caller."""

    def get(self, request: Request, source_id: int) -> Response:
        source = get_object_or_404(
            sources_visible_to(user=signed_in_user(request)).select_related("campaign"),
            pk=source_id,
        )
        window = _valid(WindowSerializer, request.query_params)
        segments = list(source_segments(source=source, **window))
        return Response(
            {
                "source": source_block(source, request),
                "segments": segments_json(
                    source=source, segments=segments, user=signed_in_user(request)
                ),
            }
        )

    def post(self, request: Request, source_id: int) -> Response:
        get_object_or_404(sources_visible_to(user=signed_in_user(request)), pk=source_id)
        data = _valid(SpanSerializer, request.data)
        segment = segment_add(
            source_id=source_id,
            user=signed_in_user(request),
            start=data["start"],
            end=data["end"],
            speaker_id=data.get("speaker"),
        )
        return Response(_one(request, segment), status=status.HTTP_201_CREATED)


@extend_schema(request=ChangeSerializer, responses=SegmentSerializer)
class SegmentDetailApi(SegmentView):
    """PATCH {"version", "start"?, "end"?, "speaker"?}: moves a boundary or sets the speaker."""

    def patch(self, request: Request, segment_id: int) -> Response:
        self.segment(request, segment_id)
        data = _valid(ChangeSerializer, request.data)
        segment = self.run(
            request,
            segment_change,
            segment_id=segment_id,
            version=data["version"],
            start=data.get("start"),
            end=data.get("end"),
            speaker_id=data.get("speaker"),
        )
        return Response(_one(request, segment))


@extend_schema(
    request=SplitSerializer,
    responses={
        201: inline_serializer(
            "SegmentSplit", {"left": SegmentSerializer(), "right": SegmentSerializer()}
        )
    },
)
class SegmentSplitApi(SegmentView):
    def post(self, request: Request, segment_id: int) -> Response:
        self.segment(request, segment_id)
        data = _valid(SplitSerializer, request.data)
        left, right = self.run(
            request, segment_split, segment_id=segment_id, version=data["version"], at=data["at"]
        )
        return Response(
            {"left": _one(request, left), "right": _one(request, right)},
            status=status.HTTP_201_CREATED,
        )


@extend_schema(request=MergeSerializer, responses=SegmentSerializer)
class SegmentMergeNextApi(SegmentView):
    def post(self, request: Request, segment_id: int) -> Response:
        self.segment(request, segment_id)
        data = _valid(MergeSerializer, request.data)
        segment = self.run(
            request,
            segment_merge_next,
            segment_id=segment_id,
            version=data["version"],
            next_version=data["next_version"],
        )
        return Response(_one(request, segment))


@extend_schema(
    request=VersionSerializer,
    responses=inline_serializer(
        "SegmentRemoved",
        {"id": serializers.IntegerField(), "status": serializers.ChoiceField(choices=["removed"])},
    ),
)
class SegmentDeleteApi(SegmentView):
    def post(self, request: Request, segment_id: int) -> Response:
        self.segment(request, segment_id)
        data = _valid(VersionSerializer, request.data)
        segment = self.run(request, segment_delete, segment_id=segment_id, version=data["version"])
        return Response({"id": segment.pk, "status": "removed"})
