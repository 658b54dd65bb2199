from django.shortcuts import get_object_or_404
from django.urls import reverse
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labelhub.accounts.permissions import IsLabelingStaff
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.labeling.services import revision_latest, task_claim_next, task_submit


class RevisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = TranscriptRevision
        fields = [
            "id",
            "number",
            "kind",
            "text",
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


class TaskSerializer(serializers.ModelSerializer):
    audio_url = serializers.SerializerMethodField()
    draft = serializers.SerializerMethodField()
    prompt_text = serializers.CharField(source="recording.prompt.text", default="")
    duration_seconds = serializers.FloatField(source="recording.duration_seconds")

    class Meta:
        model = Task
        fields = [
            "id",
            "recording",
            "status",
            "lease_expires_at",
            "audio_url",
            "draft",
            "prompt_text",
            "duration_seconds",
        ]

    def get_audio_url(self, task: Task) -> str:
        url = reverse("recording-audio", args=[task.recording_id])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    def get_draft(self, task: Task) -> dict | None:
        latest = revision_latest(recording=task.recording)
        return RevisionSerializer(latest).data if latest else None


class SubmitSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=True, max_length=10000)
    base_revision = serializers.IntegerField(allow_null=True)


class TaskClaimApi(APIView):
    permission_classes = [IsLabelingStaff]

    def post(self, request: Request) -> Response:
        task = task_claim_next(labeler=request.user)
        if task is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(TaskSerializer(task, context={"request": request}).data)


class TaskSubmitApi(APIView):
    permission_classes = [IsLabelingStaff]

    def post(self, request: Request, task_id: int) -> Response:
        get_object_or_404(Task, pk=task_id)
        incoming = SubmitSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        revision = task_submit(
            task_id=task_id,
            labeler=request.user,
            text=incoming.validated_data["text"],
            base_revision_id=incoming.validated_data["base_revision"],
        )
        return Response(RevisionSerializer(revision).data, status=status.HTTP_201_CREATED)
