import contextlib
from pathlib import Path
from typing import cast

from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labelhub.accounts.models import Organisation, User
from labelhub.accounts.permissions import IsPM, IsPortalUser, signed_in_user
from labelhub.campaigns.models import Campaign
from labelhub.errors import FileMissing
from labelhub.releases.delivery import (
    archive_download_target,
    download_url_make,
    download_url_read,
    release_ensure_not_superseded,
)
from labelhub.releases.models import Release, ReleaseRendition
from labelhub.releases.preview import release_preview
from labelhub.releases.reissue import removal_rows
from labelhub.releases.rendition_services import rendition_key_check, rendition_request
from labelhub.releases.renditions import AUDIO_FORMATS, EXTRA_FORMATS
from labelhub.releases.selectors import (
    release_change_counts,
    release_changes,
    release_downloads,
    release_rendition,
    release_withdrawn_items,
    releases_visible_to,
)
from labelhub.releases.services import (
    download_record,
    release_create,
    release_ensure_deliverable,
    release_ensure_downloadable,
    release_refuse_edit,
    release_revoke,
)
from labelhub.streaming import ranged_file_response
from labelhub.validation import query_text


class ReleaseInSerializer(serializers.Serializer):
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    client = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), required=False)
    split_ratios = serializers.DictField(child=serializers.FloatField(), required=False)
    seed = serializers.IntegerField(min_value=0, required=False, default=0)
    spec = serializers.DictField(required=False)


class RenditionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReleaseRendition
        fields = [
            "key",
            "status",
            "progress",
            "error",
            "archive_sha256",
            "archive_size_bytes",
            "published_at",
        ]


class ReleaseSerializer(serializers.ModelSerializer):
    flagged = serializers.SerializerMethodField()
    withdrawn_items = serializers.SerializerMethodField()
    # The serializer's metaclass moves declared fields off the class; the stubs see DRF's
    # Field.label here.
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    # None for a first version, an original or a current release (allow_null: the schema says so).
    previous_version = serializers.IntegerField(
        source="previous.version", default=None, allow_null=True
    )
    previous_label = serializers.CharField(source="previous.label", default=None, allow_null=True)
    reissue_of: "serializers.PrimaryKeyRelatedField[Release]" = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    superseded_by: "serializers.PrimaryKeyRelatedField[Release]" = (
        serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    )
    changes = serializers.SerializerMethodField()
    renditions = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = [
            "id",
            "campaign",
            "client",
            "version",
            "label",
            "reissue_of",
            "reissue_number",
            "previous_version",
            "previous_label",
            "spec",
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
            "revoked_at",
            "revoked_reason",
            "superseded_at",
            "superseded_reason",
            "superseded_by",
            "flagged",
            "withdrawn_items",
            "changes",
            "renditions",
        ]

    def get_withdrawn_items(self, release: Release) -> int:
        counted = getattr(release, "withdrawn_items", None)
        return counted if counted is not None else release_withdrawn_items(release=release).count()

    def get_flagged(self, release: Release) -> bool:
        return self.get_withdrawn_items(release) > 0

    def get_changes(self, release: Release) -> dict[str, int] | None:
        if self.context.get("many"):
            return None  # counted on the detail endpoint only, one query per release
        return release_change_counts(release=release)

    def get_renditions(self, release: Release) -> list[dict] | None:
        if self.context.get("many"):
            return None  # listed on the detail endpoint only, one query per release
        # many=True makes a ListSerializer, whose data is a list; the stubs give the child's.
        return cast(list[dict], RenditionSerializer(release.renditions.all(), many=True).data)


@extend_schema_view(
    get=extend_schema(responses=ReleaseSerializer(many=True)),
    post=extend_schema(request=ReleaseInSerializer, responses={201: ReleaseSerializer}),
)
class ReleaseListApi(APIView):
    def get_permissions(self) -> list:
        return [IsPM()] if self.request.method == "POST" else [IsPortalUser()]

    def get(self, request: Request) -> Response:
        releases = releases_visible_to(user=signed_in_user(request))
        data = ReleaseSerializer(releases, many=True, context={"many": True}).data
        return Response(data)

    def post(self, request: Request) -> Response:
        incoming = ReleaseInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        campaign = incoming.validated_data["campaign"]
        release = release_create(
            campaign=campaign,
            client=incoming.validated_data.get("client") or campaign.client,
            created_by=signed_in_user(request),
            split_ratios=incoming.validated_data.get("split_ratios"),
            seed=incoming.validated_data["seed"],
            spec=incoming.validated_data.get("spec"),
        )
        return Response(ReleaseSerializer(release).data, status=status.HTTP_201_CREATED)


@extend_schema(
    request=ReleaseInSerializer,
    responses=inline_serializer(
        "ReleasePreview",
        {
            "items": serializers.IntegerField(),
            "speakers": serializers.IntegerField(),
            "seconds": serializers.FloatField(),
            "hours": serializers.FloatField(),
        },
    ),
)
class ReleasePreviewApi(APIView):
    """POST the body of a new release: how many items, speakers and hours it would hold,
    counted by the build's own selection; nothing is created."""

    permission_classes = [IsPM]

    def post(self, request: Request) -> Response:
        incoming = ReleaseInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        preview = release_preview(
            campaign=incoming.validated_data["campaign"],
            client=incoming.validated_data.get("client"),
            spec=incoming.validated_data.get("spec"),
        )
        return Response(preview.as_json())


class _ReleaseApi(APIView):
    permission_classes = [IsPortalUser]
    schema_error_statuses = (410,)  # a revoked or superseded release (see labelhub/schema.py)

    def release(self, request: Request, release_id: int) -> Release:
        return get_object_or_404(releases_visible_to(user=signed_in_user(request)), pk=release_id)


@extend_schema_view(
    get=extend_schema(responses=ReleaseSerializer),
    # A published version is never edited or deleted: these only ever refuse.
    patch=extend_schema(request=None, responses={}),
    put=extend_schema(request=None, responses={}),
    delete=extend_schema(request=None, responses={}),
)
class ReleaseDetailApi(_ReleaseApi):
    def get_permissions(self) -> list:
        return [IsPortalUser()] if self.request.method == "GET" else [IsPM()]

    def get(self, request: Request, release_id: int) -> Response:
        return Response(ReleaseSerializer(self.release(request, release_id)).data)

    def patch(self, request: Request, release_id: int) -> Response:
        release_refuse_edit(release=self.release(request, release_id))

    put = patch
    delete = patch


class ReleaseRevokeApi(_ReleaseApi):
    permission_classes = [IsPM]

    @extend_schema_serializer(component_name="ReleaseRevoke")
    class InSerializer(serializers.Serializer):
        reason = serializers.CharField(allow_blank=True)

    @extend_schema(request=InSerializer, responses=ReleaseSerializer)
    def post(self, request: Request, release_id: int) -> Response:
        incoming = self.InSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        release = release_revoke(
            release=self.release(request, release_id),
            revoked_by=signed_in_user(request),
            reason=incoming.validated_data["reason"],
        )
        return Response(ReleaseSerializer(release).data)


class ReleaseChangesApi(_ReleaseApi):
    pagination_class = LimitOffsetPagination

    @extend_schema_serializer(component_name="ReleaseChange")
    class OutSerializer(serializers.Serializer):
        recording_id = serializers.UUIDField(source="recording.uid")
        kind = serializers.CharField()
        reason = serializers.CharField()
        old_text = serializers.CharField()
        new_text = serializers.CharField()
        old_split = serializers.CharField()
        new_split = serializers.CharField()

    @extend_schema(responses=OutSerializer(many=True))
    def get(self, request: Request, release_id: int) -> Response:
        changes = release_changes(release=self.release(request, release_id))
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(changes, request, view=self)
        return paginator.get_paginated_response(self.OutSerializer(page, many=True).data)


class RemovalRowSerializer(serializers.Serializer):
    """reissue.removal_rows(): one withdrawn item and what to delete for it, per format."""

    recording_id = serializers.UUIDField()
    path = serializers.CharField()
    split = serializers.CharField()
    reason = serializers.CharField()
    remove = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per format: the archive members (or member#row-key) holding the item.",
    )


@extend_schema(responses=RemovalRowSerializer(many=True))
class ReleaseWithdrawnItemsApi(_ReleaseApi):
    """Items whose speaker withdrew after publication: clients delete these from their copies.

    Each row names, per format, every archive member and ``member#row-key`` holding the item
    (releases.reissue.removal_rows); the Link header points at the re-issue that replaces it.
    """

    def get(self, request: Request, release_id: int) -> Response:
        release = self.release(request, release_id)
        response = Response(removal_rows(release=release))
        if release.superseded_by_id is not None:
            url = reverse("release-detail", kwargs={"release_id": release.superseded_by_id})
            response["Link"] = f'<{request.build_absolute_uri(url)}>; rel="successor-version"'
        return response


@extend_schema(
    responses=inline_serializer(
        "ReleaseDatasheet",
        {"markdown": serializers.CharField(), "html": serializers.CharField()},
    )
)
class ReleaseDatasheetApi(_ReleaseApi):
    def get(self, request: Request, release_id: int) -> Response:
        release = self.release(request, release_id)
        release_ensure_deliverable(release=release)
        release_ensure_not_superseded(release=release)  # it may quote the withdrawn speaker
        return Response({"markdown": release.datasheet_md, "html": release.datasheet_html})


class ReleaseDownloadsApi(_ReleaseApi):
    """The download audit log, for PMs."""

    permission_classes = [IsPM]
    pagination_class = LimitOffsetPagination

    @extend_schema_serializer(component_name="DownloadEvent")
    class OutSerializer(serializers.Serializer):
        user = serializers.CharField(source="user.username")  # the link's owner
        organisation = serializers.CharField(
            source="user.organisation", default=None, allow_null=True
        )
        fetched_by = serializers.CharField(
            source="fetched_by.username", default=None, allow_null=True
        )
        anonymous = serializers.BooleanField()
        ip_sha256 = serializers.CharField()
        at = serializers.DateTimeField()

    @extend_schema(responses=OutSerializer(many=True))
    def get(self, request: Request, release_id: int) -> Response:
        events = release_downloads(release=self.release(request, release_id))
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(events, request, view=self)
        return paginator.get_paginated_response(self.OutSerializer(page, many=True).data)


class ReleaseRenditionsApi(_ReleaseApi):
    """A version's renditions; POST asks for one more (202, then its progress on GET)."""

    @extend_schema_serializer(component_name="RenditionOrder")
    class InSerializer(serializers.Serializer):
        audio_format = serializers.ChoiceField(choices=AUDIO_FORMATS, default="wav")
        include_originals = serializers.BooleanField(default=False)
        formats = serializers.ListField(
            child=serializers.ChoiceField(choices=EXTRA_FORMATS), required=False, max_length=8
        )

    @extend_schema(responses=RenditionSerializer(many=True))
    def get(self, request: Request, release_id: int) -> Response:
        release = self.release(request, release_id)
        release_ensure_deliverable(release=release)
        return Response(RenditionSerializer(release.renditions.all(), many=True).data)

    @extend_schema(
        request=InSerializer,
        responses={
            200: OpenApiResponse(RenditionSerializer, description="Already published."),
            202: OpenApiResponse(RenditionSerializer, description="Building; poll GET."),
        },
    )
    def post(self, request: Request, release_id: int) -> Response:
        incoming = self.InSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        rendition = rendition_request(release=self.release(request, release_id), **incoming.data)
        code = status.HTTP_200_OK if rendition.status == "published" else status.HTTP_202_ACCEPTED
        return Response(RenditionSerializer(rendition).data, status=code)


RENDITION_PARAMETER = OpenApiParameter(
    "rendition", OpenApiTypes.STR, description="A rendition's key; the default one when absent."
)


def _rendition_asked(request: Request) -> str:
    """The ``rendition`` query parameter, checked ("": the default rendition)."""
    # An unencoded "+" arrives as a space, and no key holds one: read it as the "+" meant.
    key = query_text(request.query_params, "rendition").replace(" ", "+")
    if key:
        rendition_key_check(key)
    return key


@extend_schema(
    request=None,
    parameters=[RENDITION_PARAMETER],
    responses=inline_serializer(
        "ReleaseDownloadUrl",
        {
            "url": serializers.URLField(),
            "expires_in": serializers.IntegerField(help_text="Seconds."),
        },
    ),
)
class ReleaseDownloadUrlApi(_ReleaseApi):
    """A signed, expiring link to one rendition's archive, usable without the session or token."""

    def get(self, request: Request, release_id: int) -> Response:
        release = self.release(request, release_id)
        release_ensure_downloadable(release=release)
        key = _rendition_asked(request)
        release_rendition(release=release, key=key)  # no link to an archive that isn't there
        user = signed_in_user(request)
        path, ttl = download_url_make(release=release, user_id=user.pk, rendition=key)
        return Response({"url": request.build_absolute_uri(path), "expires_in": ttl})

    post = get


# serve_archive's answers: the zip (a Range of it), or a redirect to object storage.
ARCHIVE_RESPONSES = {
    (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The archive."),
    (206, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="A Range of it."),
    302: OpenApiResponse(description="A signed object-storage address for the archive."),
}


def serve_archive(
    request: HttpRequest, release: Release, user: User, fetched_by: User | None, key: str = ""
) -> HttpResponseBase:
    """One rendition's archive with Range support; one DownloadEvent per download, not per
    range, and none for a HEAD, which fetches no bytes."""
    release_ensure_downloadable(release=release)
    rendition = release_rendition(release=release, key=key)
    target = archive_download_target(rendition)
    # Checked before the download is recorded: a file that is gone was not downloaded.
    if isinstance(target, Path) and not target.is_file():
        raise FileMissing(str(target))
    range_header = request.headers.get("Range", "").replace(" ", "")
    starts = not range_header or range_header.startswith("bytes=0-")
    if request.method == "GET" and starts:
        download_record(
            release=release,
            user=user,
            fetched_by=fetched_by,
            ip_address=request.META.get("REMOTE_ADDR"),
        )
    if isinstance(target, str):
        return HttpResponseRedirect(target)
    response = ranged_file_response(
        request,
        target,
        content_type="application/zip",
        filename=(rendition.archive.name or "").rsplit("/", 1)[-1],
        etag=rendition.archive_sha256,
    )
    response["X-Checksum-SHA256"] = rendition.archive_sha256
    return response


@extend_schema(responses=ARCHIVE_RESPONSES)
class ReleaseDownloadApi(_ReleaseApi):
    """The archive for a signed-in user or token holder (the signed link is the other way)."""

    def get(self, request: Request, release_id: int) -> HttpResponseBase:
        user, key = signed_in_user(request), _rendition_asked(request)
        return serve_archive(request, self.release(request, release_id), user, user, key)


@extend_schema(responses=ARCHIVE_RESPONSES)
class ReleaseSignedDownloadApi(APIView):
    """The archive for whoever holds a signed link; the log names them when they are known."""

    permission_classes = [AllowAny]
    schema_error_statuses = (410,)  # a revoked release, or an expired link

    def perform_authentication(self, request: Request) -> None:
        # The link is the credential: a stale session or token makes the fetch anonymous
        # (logged with a hashed IP), never a refusal.
        with contextlib.suppress(AuthenticationFailed):
            request.user  # noqa: B018 - reading it authenticates

    def get(self, request: Request, release_id: int) -> HttpResponseBase:
        link = download_url_read(token=request.query_params.get("token", ""), release_id=release_id)
        user = get_object_or_404(User, pk=link.user_id, is_active=True)
        # Checked on every use: a client who left the organisation loses the links they made.
        release = get_object_or_404(releases_visible_to(user=user), pk=release_id)
        fetcher = request.user if request.user.is_authenticated else None
        return serve_archive(request, release, user, fetcher, link.rendition)
