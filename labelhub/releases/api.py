from django.http import FileResponse
from django.shortcuts import get_object_or_404
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labelhub.accounts.models import Organisation
from labelhub.accounts.permissions import IsPM
from labelhub.campaigns.models import Campaign
from labelhub.errors import Conflict
from labelhub.releases.models import Release
from labelhub.releases.selectors import releases_visible_to
from labelhub.releases.services import download_record, release_create


class ReleaseInSerializer(serializers.Serializer):
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    client = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), required=False)
    split_ratios = serializers.DictField(child=serializers.FloatField(), required=False)
    seed = serializers.IntegerField(min_value=0, required=False, default=0)


class ReleaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Release
        fields = [
            "id",
            "campaign",
            "client",
            "version",
            "split_ratios",
            "seed",
            "status",
            "progress",
            "error",
            "archive_sha256",
            "archive_size_bytes",
            "item_count",
            "created_at",
            "published_at",
        ]


class ReleaseListApi(APIView):
    def get_permissions(self) -> list:
        return [IsPM()] if self.request.method == "POST" else [IsAuthenticated()]

    def get(self, request: Request) -> Response:
        releases = releases_visible_to(user=request.user)
        return Response(ReleaseSerializer(releases, many=True).data)

    def post(self, request: Request) -> Response:
        incoming = ReleaseInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        campaign = incoming.validated_data["campaign"]
        release = release_create(
            campaign=campaign,
            client=incoming.validated_data.get("client") or campaign.client,
            created_by=request.user,
            split_ratios=incoming.validated_data.get("split_ratios"),
            seed=incoming.validated_data["seed"],
        )
        return Response(ReleaseSerializer(release).data, status=status.HTTP_201_CREATED)


class ReleaseDetailApi(APIView):
    def get(self, request: Request, release_id: int) -> Response:
        release = get_object_or_404(releases_visible_to(user=request.user), pk=release_id)
        return Response(ReleaseSerializer(release).data)


class ReleaseDownloadApi(APIView):
    def get(self, request: Request, release_id: int) -> FileResponse:
        release = get_object_or_404(releases_visible_to(user=request.user), pk=release_id)
        if release.status != Release.Status.PUBLISHED:
            raise Conflict(f"release {release.pk} is not published ({release.status})")
        download_record(
            release=release, user=request.user, ip_address=request.META.get("REMOTE_ADDR")
        )
        response = FileResponse(
            release.archive.open("rb"),
            as_attachment=True,
            filename=release.archive.name.rsplit("/", 1)[-1],
            content_type="application/zip",
        )
        response["X-Checksum-SHA256"] = release.archive_sha256
        return response
