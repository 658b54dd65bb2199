"""The recorder page's upload: a speaker sends a take with their signed invite link.

It lives here, not in labelhub.speakers.api with the recorder's other endpoints, because it
hands the file to recordings (recording_collect) and speakers does not import recordings.
The URL is the same (/api/record/<token>/recordings/), routed from labelhub.recordings.urls.
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from labelhub.campaigns.models import Prompt
from labelhub.errors import Conflict
from labelhub.recordings.services import recording_collect
from labelhub.speakers.api import RecorderApi, RecorderStateSerializer


class RecorderUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    prompt = serializers.IntegerField(required=False, allow_null=True)


class RecorderRecordingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    uid = serializers.UUIDField()
    status = serializers.CharField()


@extend_schema(
    request=RecorderUploadSerializer,
    responses={
        201: inline_serializer(
            "RecorderUploaded",
            {"recording": RecorderRecordingSerializer(), "state": RecorderStateSerializer()},
        )
    },
)
class RecorderRecordingApi(RecorderApi):
    parser_classes = [MultiPartParser]
    throttle_scope = "upload"

    def post(self, request: Request, token: str) -> Response:
        invite = self.invite(token)
        if invite.speaker is None:
            raise Conflict(_("Sign the consent before recording."), code="consent_missing")
        incoming = RecorderUploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        prompt_id = incoming.validated_data.get("prompt")
        prompt = (
            get_object_or_404(Prompt, pk=prompt_id, campaign_id=invite.campaign_id)
            if prompt_id
            else None
        )
        recording = recording_collect(
            speaker=invite.speaker,
            uploaded_file=incoming.validated_data["file"],
            uploaded_by=None,
            prompt=prompt,
            channel=invite.channel,
            device=request.META.get("HTTP_USER_AGENT", ""),
        )
        body = {
            "recording": {
                "id": recording.pk,
                "uid": str(recording.uid),
                "status": recording.status,
            },
            "state": self.state(request, invite),
        }
        return Response(body, status=status.HTTP_201_CREATED)
