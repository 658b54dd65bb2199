"""Campaign planning API (PM only): campaigns, lifecycle, legal review, quota cells, prompts,
environments and channels. Thin: parse, call one service or selector, serialize."""

from collections.abc import Callable, Iterable

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labelhub.accounts.models import Organisation, User
from labelhub.accounts.permissions import IsPM, signed_in_user
from labelhub.campaigns import quota_cells, services
from labelhub.campaigns.demographics import dialect_choices_for, region_choices_for
from labelhub.campaigns.models import (
    Campaign,
    CollectionChannel,
    LegalReview,
    Prompt,
    QuotaCell,
    RecordingEnvironment,
)
from labelhub.campaigns.prompt_import import prompts_import
from labelhub.campaigns.selectors import campaign_get, campaign_list, legal_review_for
from labelhub.campaigns.services import LABELING_ROLES, campaign_labelers_set


def _choices(pairs: Iterable[tuple[str, object]]) -> list[dict]:
    return [{"value": value, "label": str(label)} for value, label in pairs]


class CampaignSerializer(serializers.ModelSerializer):
    client = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(kind=Organisation.Kind.CLIENT)
    )
    # The serializer's metaclass moves declared fields off the class; the stubs see DRF's
    # Field.parent here.
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Campaign.objects.all(), allow_null=True, required=False
    )
    dialect_choices = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False
    )
    region_choices = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False
    )
    # User ids; empty: the whole labeling staff works on the campaign.
    labelers = serializers.PrimaryKeyRelatedField(
        many=True, queryset=User.objects.all(), required=False
    )
    dialects = serializers.SerializerMethodField()
    regions = serializers.SerializerMethodField()
    legal_review_signed_off = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            *sorted(services.CAMPAIGN_FIELDS),
            "labelers",
            "status",
            "dialects",
            "regions",
            "legal_review_signed_off",
            "created_at",
        ]
        read_only_fields = ["id", "status", "created_at"]

    def validate_labelers(self, labelers: list[User]) -> list[User]:
        outsiders = sorted(user.username for user in labelers if user.role not in LABELING_ROLES)
        if outsiders:
            raise serializers.ValidationError(
                _("Only labelers and reviewers can work on a campaign, not %(users)s.")
                % {"users": ", ".join(outsiders)}
            )
        return labelers

    def get_dialects(self, campaign: Campaign) -> list[dict]:
        return _choices(dialect_choices_for(campaign))

    def get_regions(self, campaign: Campaign) -> list[dict]:
        return _choices(region_choices_for(campaign))

    def get_legal_review_signed_off(self, campaign: Campaign) -> bool:
        try:
            review = campaign.legal_review
        except LegalReview.DoesNotExist:
            return False
        return services.legal_review_is_approved(review)


class TransitionSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=16)


class LegalReviewSerializer(serializers.ModelSerializer):
    # The signer's username; None until signed off (allow_null: so the schema says so).
    signed_off_by = serializers.CharField(
        source="signed_off_by.username", read_only=True, default=None, allow_null=True
    )
    missing = serializers.SerializerMethodField()

    class Meta:
        model = LegalReview
        fields = [*services.LEGAL_CHECKLIST, "minors_policy", "notes"]
        fields += ["signed_off_by", "signed_off_at", "missing"]
        read_only_fields = ["signed_off_at"]

    def get_missing(self, review: LegalReview) -> list[str]:
        return services.legal_review_missing(review)


class QuotaCellSerializer(serializers.ModelSerializer):
    # Choices are checked by the service against the campaign's own lists.
    age_band = serializers.CharField(max_length=8, allow_blank=True, required=False)
    gender = serializers.CharField(max_length=8, allow_blank=True, required=False)
    speech_style = serializers.CharField(max_length=16, allow_blank=True, required=False)
    target_clips = serializers.IntegerField(required=False)
    target_speakers = serializers.IntegerField(required=False)
    label = serializers.CharField(source="__str__", read_only=True)  # type: ignore[assignment]

    class Meta:
        model = QuotaCell
        fields = ["id", *quota_cells.CELL_DIMENSIONS, "target_clips", "target_minutes"]
        fields += ["target_speakers", "max_minutes_per_speaker", "label"]
        extra_kwargs = {"region": {"allow_blank": True}, "dialect": {"allow_blank": True}}
        # Duplicates are the service's to name; DRF's own unique check would need `campaign`.
        validators: list = []


class PromptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Prompt
        fields = ["id", "external_id", "text", "category", "speech_style", "recordings_needed"]


class PromptsInSerializer(serializers.Serializer):
    texts = serializers.ListField(child=serializers.CharField(max_length=2000), min_length=1)
    category = serializers.CharField(max_length=100, required=False, default="")


class PromptImportSerializer(serializers.Serializer):
    file = serializers.FileField()


class EnvironmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = RecordingEnvironment
        fields = ["id", "kind", "name", "noise_level", "microphone", "notes"]
        validators: list = []


class ChannelSerializer(serializers.ModelSerializer):
    class Meta:
        model = CollectionChannel
        fields = ["id", "kind", "name", "source_url", "licence"]
        validators: list = []


class CampaignApi(APIView):
    """Base: PM only, and the campaign from the URL through the scoped selector."""

    permission_classes = [IsPM]

    def campaign(self, request: Request, campaign_id: int) -> Campaign:
        campaign = campaign_get(user=signed_in_user(request), campaign_id=campaign_id)
        if campaign is None:
            raise Http404
        return campaign


@extend_schema_view(
    get=extend_schema(responses=CampaignSerializer(many=True)),
    post=extend_schema(request=CampaignSerializer, responses={201: CampaignSerializer}),
)
class CampaignListApi(CampaignApi):
    def get(self, request: Request) -> Response:
        campaigns = campaign_list(user=signed_in_user(request)).prefetch_related("labelers")
        return Response(CampaignSerializer(campaigns, many=True).data)

    def post(self, request: Request) -> Response:
        incoming = CampaignSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        fields = dict(incoming.validated_data)
        labelers = fields.pop("labelers", None)
        # One transaction: a refused labeler list leaves no half-made campaign behind.
        with transaction.atomic():
            campaign = services.campaign_create(created_by=signed_in_user(request), **fields)
            if labelers is not None:
                campaign_labelers_set(campaign=campaign, labelers=labelers)
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)


@extend_schema(request=CampaignSerializer, responses=CampaignSerializer)
class CampaignDetailApi(CampaignApi):
    def get(self, request: Request, campaign_id: int) -> Response:
        return Response(CampaignSerializer(self.campaign(request, campaign_id)).data)

    def patch(self, request: Request, campaign_id: int) -> Response:
        campaign = self.campaign(request, campaign_id)
        incoming = CampaignSerializer(campaign, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        fields = dict(incoming.validated_data)
        labelers = fields.pop("labelers", None)
        with transaction.atomic():
            campaign = services.campaign_update(campaign=campaign, **fields)
            if labelers is not None:
                campaign_labelers_set(campaign=campaign, labelers=labelers)
        return Response(CampaignSerializer(campaign).data)


@extend_schema(request=TransitionSerializer, responses=CampaignSerializer)
class CampaignTransitionApi(CampaignApi):
    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = self.campaign(request, campaign_id)
        incoming = TransitionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        campaign = services.campaign_transition(
            campaign=campaign, to=incoming.validated_data["to"], by=signed_in_user(request)
        )
        return Response(CampaignSerializer(campaign).data)


@extend_schema(request=LegalReviewSerializer, responses=LegalReviewSerializer)
class LegalReviewApi(CampaignApi):
    def get(self, request: Request, campaign_id: int) -> Response:
        review = legal_review_for(campaign=self.campaign(request, campaign_id))
        return Response(LegalReviewSerializer(review).data)

    def patch(self, request: Request, campaign_id: int) -> Response:
        campaign = self.campaign(request, campaign_id)
        incoming = LegalReviewSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        review = services.legal_review_update(campaign=campaign, **incoming.validated_data)
        return Response(LegalReviewSerializer(review).data)

    put = patch


@extend_schema(request=None, responses=LegalReviewSerializer)
class LegalReviewSignOffApi(CampaignApi):
    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = self.campaign(request, campaign_id)
        review = services.legal_review_sign_off(campaign=campaign, by=signed_in_user(request))
        return Response(LegalReviewSerializer(review).data)


# POST takes one cell or a list of them, and answers alike: one of the two shapes.
QUOTA_CELL_OR_LIST = PolymorphicProxySerializer(
    component_name="QuotaCellOrList",
    serializers=[QuotaCellSerializer, QuotaCellSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)


@extend_schema_view(
    get=extend_schema(responses=QuotaCellSerializer(many=True)),
    post=extend_schema(request=QUOTA_CELL_OR_LIST, responses={201: QUOTA_CELL_OR_LIST}),
)
class QuotaCellListApi(CampaignApi):
    def get(self, request: Request, campaign_id: int) -> Response:
        cells = self.campaign(request, campaign_id).quota_cells.all()
        return Response(QuotaCellSerializer(cells, many=True).data)

    def post(self, request: Request, campaign_id: int) -> Response:
        """One cell as an object, or many as a list (created all or none)."""
        campaign = self.campaign(request, campaign_id)
        many = isinstance(request.data, list)
        incoming = QuotaCellSerializer(data=request.data, many=many)
        incoming.is_valid(raise_exception=True)
        cells = incoming.validated_data if many else [incoming.validated_data]
        created = quota_cells.quota_cells_create(campaign=campaign, cells=[dict(c) for c in cells])
        data = QuotaCellSerializer(created, many=True).data
        return Response(data if many else data[0], status=status.HTTP_201_CREATED)


@extend_schema(request=QuotaCellSerializer, responses=QuotaCellSerializer)
class QuotaCellDetailApi(CampaignApi):
    def cell(self, request: Request, campaign_id: int, cell_id: int) -> QuotaCell:
        cell = self.campaign(request, campaign_id).quota_cells.filter(pk=cell_id).first()
        if cell is None:
            raise Http404
        return cell

    def get(self, request: Request, campaign_id: int, cell_id: int) -> Response:
        return Response(QuotaCellSerializer(self.cell(request, campaign_id, cell_id)).data)

    def patch(self, request: Request, campaign_id: int, cell_id: int) -> Response:
        cell = self.cell(request, campaign_id, cell_id)
        incoming = QuotaCellSerializer(cell, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        cell = quota_cells.quota_cell_update(cell=cell, **incoming.validated_data)
        return Response(QuotaCellSerializer(cell).data)

    def delete(self, request: Request, campaign_id: int, cell_id: int) -> Response:
        quota_cells.quota_cell_delete(cell=self.cell(request, campaign_id, cell_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(responses=PromptSerializer(many=True)),
    post=extend_schema(request=PromptsInSerializer, responses={201: PromptSerializer(many=True)}),
)
class PromptListApi(CampaignApi):
    def get(self, request: Request, campaign_id: int) -> Response:
        prompts = self.campaign(request, campaign_id).prompts.all()
        return Response(PromptSerializer(prompts, many=True).data)

    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = self.campaign(request, campaign_id)
        incoming = PromptsInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        prompts = services.prompts_add(campaign=campaign, **incoming.validated_data)
        return Response(PromptSerializer(prompts, many=True).data, status=status.HTTP_201_CREATED)


class PromptRejectedSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    reason = serializers.CharField()


@extend_schema(
    request=PromptImportSerializer,
    responses={
        201: inline_serializer(
            "PromptImportReport",
            {
                "accepted": serializers.IntegerField(),
                "rejected": PromptRejectedSerializer(many=True),
            },
        )
    },
)
class PromptImportApi(CampaignApi):
    """POST a CSV or TXT file as `file`: {accepted, rejected: [{row, reason}]}."""

    parser_classes = [MultiPartParser, FormParser]
    throttle_scope = "upload"

    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = self.campaign(request, campaign_id)
        incoming = PromptImportSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        report = prompts_import(campaign=campaign, upload=incoming.validated_data["file"])
        return Response(report.as_dict(), status=status.HTTP_201_CREATED)


class PlaceListApi(CampaignApi):
    """Environments or channels of a campaign (the subclass names which)."""

    serializer_class: type[serializers.ModelSerializer]
    related_name: str

    def create(self, campaign: Campaign, fields: dict) -> object:
        raise NotImplementedError

    def get(self, request: Request, campaign_id: int) -> Response:
        places = getattr(self.campaign(request, campaign_id), self.related_name).all()
        return Response(self.serializer_class(places, many=True).data)

    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = self.campaign(request, campaign_id)
        incoming = self.serializer_class(data=request.data)
        incoming.is_valid(raise_exception=True)
        place = self.create(campaign, incoming.validated_data)
        return Response(self.serializer_class(place).data, status=status.HTTP_201_CREATED)


class PlaceDetailApi(CampaignApi):
    serializer_class: type[serializers.ModelSerializer]
    related_name: str

    def place(self, request: Request, campaign_id: int, place_id: int) -> services.Place:
        campaign = self.campaign(request, campaign_id)
        place = getattr(campaign, self.related_name).filter(pk=place_id).first()
        if place is None:
            raise Http404
        return place

    def get(self, request: Request, campaign_id: int, place_id: int) -> Response:
        return Response(self.serializer_class(self.place(request, campaign_id, place_id)).data)

    def patch(self, request: Request, campaign_id: int, place_id: int) -> Response:
        place = self.place(request, campaign_id, place_id)
        incoming = self.serializer_class(place, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        place = services.place_update(place=place, **incoming.validated_data)
        return Response(self.serializer_class(place).data)

    def delete(self, request: Request, campaign_id: int, place_id: int) -> Response:
        services.place_delete(place=self.place(request, campaign_id, place_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _place_list_schema(serializer: type[serializers.ModelSerializer]) -> Callable[[type], type]:
    # The list is a JSON array and a create answers 201: the schema said an object and 200.
    return extend_schema_view(
        get=extend_schema(responses=serializer(many=True)),
        post=extend_schema(request=serializer, responses={201: serializer}),
    )


@_place_list_schema(EnvironmentSerializer)
class EnvironmentListApi(PlaceListApi):
    serializer_class = EnvironmentSerializer
    related_name = "environments"

    def create(self, campaign: Campaign, fields: dict) -> object:
        return services.environment_create(campaign=campaign, **fields)


class EnvironmentDetailApi(PlaceDetailApi):
    serializer_class = EnvironmentSerializer
    related_name = "environments"


@_place_list_schema(ChannelSerializer)
class ChannelListApi(PlaceListApi):
    serializer_class = ChannelSerializer
    related_name = "channels"

    def create(self, campaign: Campaign, fields: dict) -> object:
        return services.channel_create(campaign=campaign, **fields)


class ChannelDetailApi(PlaceDetailApi):
    serializer_class = ChannelSerializer
    related_name = "channels"
