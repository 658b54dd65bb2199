from typing import Any, cast

from django.db import transaction
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labelhub.accounts.permissions import CanReview, IsLabelingStaff, IsPM, signed_in_user
from labelhub.campaigns.models import Campaign
from labelhub.errors import Conflict
from labelhub.labeling.api_fields import FieldsBuiltOnce
from labelhub.labeling.conventions import CHECKERS, TranscriptPolicy, convention_check
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.labeling.qa_flags import flag_message
from labelhub.labeling.review import review_claim_next, review_decide, transcript_submit
from labelhub.labeling.segment_api import source_block
from labelhub.labeling.selectors import (
    TaskText,
    double_agreement,
    labeler_stats_today,
    revisions_of,
    task_text,
    tasks_in_triage,
    tasks_open_to,
)
from labelhub.labeling.services import (
    task_claim_next,
    task_for_submit,
    task_is_double_for,
    task_renew_lease,
    task_requeue,
    task_skip,
)
from labelhub.recordings.models import Recording
from labelhub.recordings.peaks import peaks_ensure
from labelhub.recordings.selectors import recordings_visible_to
from labelhub.validation import query_id

CAMPAIGN_FILTER = OpenApiParameter(
    "campaign", int, required=False, description="Only this campaign's tasks."
)


def _source(request: Request) -> str:
    # A signed-in browser session is the workbench page; a token is a script or another tool.
    if isinstance(request.successful_authenticator, SessionAuthentication):
        return TranscriptRevision.Source.WORKBENCH
    return TranscriptRevision.Source.API


class RevisionSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", default=None, allow_null=True)

    class Meta:
        model = TranscriptRevision
        fields = [
            "id",
            "number",
            "kind",
            "text",
            "source",
            "decision",
            "comment",
            "work_seconds",
            "segments",
            "language",
            "engine",
            "model_name",
            "engine_version",
            "language_probability",
            "confidence",
            "low_confidence",
            "flags",
            "decode_seconds",
            "prompt_wer",
            "prompt_cer",
            "author",
            "created_at",
        ]


class HistorySerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", default=None, allow_null=True)

    class Meta:
        model = TranscriptRevision
        fields = [
            "id",
            "number",
            "kind",
            "text",
            "source",
            "decision",
            "comment",
            "work_seconds",
            "author",
            "created_at",
        ]


class TaskSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """A task as the workbench opens it: what to edit, what it was based on, and the audio."""

    mode = serializers.SerializerMethodField()
    audio_url = serializers.SerializerMethodField()
    peaks_url = serializers.SerializerMethodField()
    draft = serializers.SerializerMethodField()
    asr = serializers.SerializerMethodField()
    base_revision = serializers.SerializerMethodField()
    prompt_text = serializers.CharField(source="recording.prompt.text", default="")
    duration_seconds = serializers.FloatField(source="recording.duration_seconds")
    convention = serializers.CharField(source="recording.campaign.convention")
    policy = serializers.SerializerMethodField()
    qa_flags = serializers.SerializerMethodField()
    campaign = serializers.CharField(source="recording.campaign.name")

    class Meta:
        model = Task
        fields = [
            "id",
            "recording",
            "campaign",
            "mode",
            "status",
            "lease_expires_at",
            "audio_url",
            "peaks_url",
            "draft",
            "asr",
            "base_revision",
            "prompt_text",
            "duration_seconds",
            "convention",
            "policy",
            "qa_flags",
            "return_comment",
            "times_returned",
        ]

    def get_mode(self, task: Task) -> str:
        return self.context.get("mode") or "label"

    def _url(self, name: str, task: Task) -> str:
        url = reverse(name, args=[task.recording_id])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    def get_audio_url(self, task: Task) -> str:
        return self._url("recording-audio", task)

    def get_peaks_url(self, task: Task) -> str:
        return self._url("recording-peaks", task)

    def _text(self, task: Task) -> TaskText:
        # Read once per task: draft, asr, qa_flags and base_revision all come from it.
        context = cast(dict[str, Any], self.context)  # the dict passed in; stubs say Mapping
        if "text" not in context:
            context["text"] = task_text(task=task, double=self.get_mode(task) == "double")
        return context["text"]

    def _editing(self, task: Task) -> TranscriptRevision | None:
        return self._text(task).editing

    def get_draft(self, task: Task) -> dict | None:
        editing = self._editing(task)
        return RevisionSerializer(editing).data if editing else None

    def get_asr(self, task: Task) -> dict | None:
        draft = self._text(task).asr_draft
        if draft is None:
            return None
        return {
            "id": draft.pk,
            "text": draft.text,
            "segments": draft.segments,
            "confidence": draft.confidence,
            "low_confidence": draft.low_confidence,
        }

    def get_policy(self, task: Task) -> dict[str, str]:
        return TranscriptPolicy.of(task.recording.campaign).as_json()

    def get_qa_flags(self, task: Task) -> list[dict]:
        # The flags of the text on screen: the draft's for a labeler, the submitted text's for
        # a reviewer (a prompt mismatch there must be seen before approving).
        editing = self._editing(task)
        flags = editing.flags if editing else []
        return [{"code": code, "message": flag_message(code)} for code in flags]

    def get_base_revision(self, task: Task) -> int | None:
        editing = self._editing(task)
        return editing.pk if editing else None

    def to_representation(self, task: Task) -> dict:
        data = super().to_representation(task)
        recording = task.recording
        # A long-form segment opens inside its source: the whole source's audio and segments,
        # with this segment's span. Clip tasks have no "source" key at all.
        if recording.kind == Recording.Kind.SEGMENT:
            # The model's check (recording_segment_has_span) holds these for a segment.
            assert recording.source is not None
            assert recording.start_seconds is not None and recording.end_seconds is not None
            data["source"] = source_block(recording.source, self.context.get("request"))
            data["span"] = {
                "start": round(recording.start_seconds, 3),
                "end": round(recording.end_seconds, 3),
            }
        return data


class SubmitSerializer(FieldsBuiltOnce, serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=True, max_length=10000)
    base_revision = serializers.IntegerField(allow_null=True, required=False, default=None)
    work_seconds = serializers.FloatField(
        required=False, allow_null=True, min_value=0, max_value=86400, default=None
    )


def _task_response(request: Request, task: Task | None, *, mode: str = "label") -> Response:
    if task is None:
        return Response(status=status.HTTP_204_NO_CONTENT)
    context = {"request": request, "mode": mode}
    return Response(TaskSerializer(task, context=context).data)


@extend_schema(
    request=None,
    responses={200: TaskSerializer, 204: OpenApiResponse(description="No task is open.")},
)
class TaskClaimApi(APIView):
    permission_classes = [IsLabelingStaff]

    def post(self, request: Request) -> Response:
        task = task_claim_next(labeler=signed_in_user(request))
        double = task is not None and task_is_double_for(task=task, user=signed_in_user(request))
        return _task_response(request, task, mode="double" if double else "label")


@extend_schema(request=SubmitSerializer, responses={201: RevisionSerializer})
class TaskSubmitApi(APIView):
    permission_classes = [IsLabelingStaff]

    def post(self, request: Request, task_id: int) -> Response:
        labeler = signed_in_user(request)
        # One transaction: the scoped read locks the task for the write (5 queries in all,
        # token included; tests/labeling/test_claim_queries.py pins them).
        with transaction.atomic():
            target = task_for_submit(task_id=task_id, user=labeler)
            if target is None:
                raise Http404("No Task matches the given query.")
            incoming = SubmitSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = incoming.validated_data
            revision = transcript_submit(
                target=target,
                labeler=labeler,
                text=data["text"],
                base_revision_id=data["base_revision"],
                work_seconds=data["work_seconds"],
                source=_source(request),
            )
        return Response(RevisionSerializer(revision).data, status=status.HTTP_201_CREATED)


@extend_schema(
    request=None,
    responses=inline_serializer(
        "TaskLease", {"lease_expires_at": serializers.DateTimeField(allow_null=True)}
    ),
)
class TaskLeaseApi(APIView):
    """The page's heartbeat: keeps the lease while the task is open in front of someone."""

    permission_classes = [IsLabelingStaff]

    def post(self, request: Request, task_id: int) -> Response:
        get_object_or_404(tasks_open_to(user=signed_in_user(request)), pk=task_id)
        until = task_renew_lease(task_id=task_id, user=signed_in_user(request))
        return Response({"lease_expires_at": until})


class SkipSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Task.SkipReason.choices)
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=2000)


@extend_schema(
    request=SkipSerializer,
    responses=inline_serializer(
        "TaskSkipped",
        {
            "id": serializers.IntegerField(),
            "status": serializers.ChoiceField(choices=Task.Status.choices),
            "skip_reason": serializers.ChoiceField(choices=Task.SkipReason.choices),
        },
    ),
)
class TaskSkipApi(APIView):
    permission_classes = [IsLabelingStaff]

    def post(self, request: Request, task_id: int) -> Response:
        get_object_or_404(tasks_open_to(user=signed_in_user(request)), pk=task_id)
        incoming = SkipSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        task = task_skip(
            task_id=task_id, labeler=signed_in_user(request), **incoming.validated_data
        )
        return Response({"id": task.pk, "status": task.status, "skip_reason": task.skip_reason})


class TriageItemSerializer(serializers.ModelSerializer):
    campaign = serializers.CharField(source="recording.campaign.name")
    labeler = serializers.CharField(source="labeler.username", default=None, allow_null=True)
    skipped_by = serializers.CharField(source="skipped_by.username", default=None, allow_null=True)
    skip_reason_label = serializers.CharField(source="get_skip_reason_display")

    class Meta:
        model = Task
        fields = [
            "id",
            "recording",
            "campaign",
            "skip_reason",
            "skip_reason_label",
            "skip_note",
            "labeler",
            "skipped_by",
            "updated_at",
        ]


@extend_schema(
    parameters=[CAMPAIGN_FILTER],
    responses=inline_serializer("TriageList", {"results": TriageItemSerializer(many=True)}),
)
class TriageListApi(APIView):
    permission_classes = [IsPM]

    def get(self, request: Request) -> Response:
        tasks = tasks_in_triage(campaign_id=query_id(request.query_params, "campaign"))
        return Response({"results": TriageItemSerializer(tasks, many=True).data})


@extend_schema(
    request=None,
    responses=inline_serializer(
        "TaskRequeued",
        {
            "id": serializers.IntegerField(),
            "status": serializers.ChoiceField(choices=Task.Status.choices),
        },
    ),
)
class TaskRequeueApi(APIView):
    permission_classes = [IsPM]

    def post(self, request: Request, task_id: int) -> Response:
        get_object_or_404(Task, pk=task_id)
        task = task_requeue(task_id=task_id, pm=signed_in_user(request))
        return Response({"id": task.pk, "status": task.status})


class ReviewTaskSerializer(TaskSerializer):
    submitted = serializers.SerializerMethodField()
    labeler = serializers.CharField(source="labeler.username", default=None, allow_null=True)

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "submitted", "labeler"]

    def get_submitted(self, task: Task) -> dict | None:
        return self.get_draft(task)


@extend_schema(
    request=None,
    responses={
        200: ReviewTaskSerializer,
        204: OpenApiResponse(description="Nothing is waiting for review."),
    },
)
class ReviewClaimApi(APIView):
    permission_classes = [CanReview]

    def post(self, request: Request) -> Response:
        task = review_claim_next(reviewer=signed_in_user(request))
        if task is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        context = {"request": request, "mode": "review"}
        return Response(ReviewTaskSerializer(task, context=context).data)


class DecisionSerializer(SubmitSerializer):
    decision = serializers.ChoiceField(choices=["approve", "return"])
    comment = serializers.CharField(allow_blank=True, required=False, default="", max_length=4000)
    confirm_flags = serializers.BooleanField(required=False, default=False)


@extend_schema(request=DecisionSerializer, responses={201: RevisionSerializer})
class ReviewDecideApi(APIView):
    permission_classes = [CanReview]

    def post(self, request: Request, task_id: int) -> Response:
        get_object_or_404(tasks_open_to(user=signed_in_user(request)), pk=task_id)
        incoming = DecisionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        revision = review_decide(
            task_id=task_id,
            reviewer=signed_in_user(request),
            decision=data["decision"],
            text=data["text"],
            base_revision_id=data["base_revision"],
            comment=data["comment"],
            work_seconds=data["work_seconds"],
            source=_source(request),
            confirm_flags=data["confirm_flags"],
        )
        return Response(RevisionSerializer(revision).data, status=status.HTTP_201_CREATED)


@extend_schema(
    responses=OpenApiResponse(
        OpenApiTypes.OBJECT, description="The waveform peaks file as computed at ingest."
    )
)
class RecordingPeaksApi(APIView):
    """Waveform peaks as JSON, computed at ingest (or now, once, for an older recording)."""

    permission_classes = [IsLabelingStaff]

    def get(self, request: Request, recording_id: int) -> HttpResponseBase:
        recording = get_object_or_404(
            recordings_visible_to(user=signed_in_user(request)), pk=recording_id
        )
        if not recording.normalised_file:
            raise Conflict(f"recording {recording.pk} has no audio yet ({recording.status})")
        recording = peaks_ensure(recording=recording)
        response = FileResponse(recording.peaks_file.open("rb"), content_type="application/json")
        response["Cache-Control"] = "private, max-age=86400"
        return response


@extend_schema(
    responses=inline_serializer(
        "RecordingHistory",
        {"recording": serializers.IntegerField(), "revisions": HistorySerializer(many=True)},
    )
)
class RecordingHistoryApi(APIView):
    permission_classes = [IsLabelingStaff]

    def get(self, request: Request, recording_id: int) -> Response:
        recording = get_object_or_404(
            recordings_visible_to(user=signed_in_user(request)), pk=recording_id
        )
        revisions = revisions_of(recording=recording)
        return Response(
            {"recording": recording.pk, "revisions": HistorySerializer(revisions, many=True).data}
        )


class FixSerializer(serializers.Serializer):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    replacement = serializers.CharField()
    # A field named label shadows DRF's Field.label (its text) in the stubs' eyes.
    label = serializers.CharField()  # type: ignore[assignment]


class ConventionIssueSerializer(serializers.Serializer):
    """One ConventionIssue.as_json(): a stable code, a message, its span and maybe a fix."""

    code = serializers.CharField()
    message = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    fix = FixSerializer(allow_null=True)


class ConventionCheckSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=10000)
    convention = serializers.ChoiceField(choices=sorted(CHECKERS), default="plain")
    # The campaign's normalisation policy, as the task handed it to the page.
    casing = serializers.ChoiceField(choices=Campaign.Casing.values, default="any")
    final_punctuation = serializers.ChoiceField(
        choices=Campaign.FinalPunctuation.values, default="any"
    )
    numbers = serializers.ChoiceField(choices=Campaign.Numbers.values, default="any")


@extend_schema(
    request=ConventionCheckSerializer,
    responses=inline_serializer(
        "ConventionCheck", {"issues": ConventionIssueSerializer(many=True)}
    ),
)
class ConventionCheckApi(APIView):
    """What the page asks as the labeler types; the same checks block the submit."""

    permission_classes = [IsLabelingStaff]

    def post(self, request: Request) -> Response:
        incoming = ConventionCheckSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        policy = TranscriptPolicy(
            casing=data.pop("casing"),
            final_punctuation=data.pop("final_punctuation"),
            numbers=data.pop("numbers"),
        )
        issues = convention_check(**data, policy=policy)
        return Response({"issues": [issue.as_json() for issue in issues]})


@extend_schema(
    responses=inline_serializer(
        "WorkbenchStats",
        {
            "clips_today": serializers.IntegerField(),
            "audio_minutes_today": serializers.FloatField(),
            "median_seconds_per_clip": serializers.FloatField(allow_null=True),
        },
    )
)
class WorkbenchStatsApi(APIView):
    permission_classes = [IsLabelingStaff]

    def get(self, request: Request) -> Response:
        return Response(labeler_stats_today(user=signed_in_user(request)))


class AgreementItemSerializer(serializers.Serializer):
    recording = serializers.IntegerField()
    first_text = serializers.CharField()
    first_author = serializers.CharField(allow_null=True)
    second_text = serializers.CharField()
    second_author = serializers.CharField(allow_null=True)
    cer = serializers.FloatField(allow_null=True)


@extend_schema(
    parameters=[OpenApiParameter("campaign", int, required=True, description="The campaign's id.")],
    responses=inline_serializer(
        "Agreement",
        {
            "campaign": serializers.IntegerField(),
            "pairs": serializers.IntegerField(),
            "cer": serializers.FloatField(allow_null=True),
            "items": AgreementItemSerializer(many=True),
        },
    ),
)
class AgreementApi(APIView):
    """Double-transcription agreement (CER between the two transcripts) for the PM."""

    permission_classes = [IsPM]
    schema_error_statuses = (404,)  # ?campaign= names no campaign

    def get(self, request: Request) -> Response:
        campaign = get_object_or_404(
            Campaign, pk=query_id(request.query_params, "campaign", required=True)
        )
        return Response(double_agreement(campaign=campaign))
