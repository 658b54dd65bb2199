from django.shortcuts import get_object_or_404
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labelhub.accounts.models import Organisation
from labelhub.accounts.permissions import IsPM
from labelhub.campaigns.models import Campaign, Prompt
from labelhub.campaigns.services import campaign_create, prompts_add


class CampaignSerializer(serializers.ModelSerializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())

    class Meta:
        model = Campaign
        fields = ["id", "name", "client", "language", "description", "status", "created_at"]
        read_only_fields = ["id", "status", "created_at"]


class PromptsInSerializer(serializers.Serializer):
    texts = serializers.ListField(child=serializers.CharField(max_length=2000), min_length=1)
    category = serializers.CharField(max_length=100, required=False, default="")


class PromptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Prompt
        fields = ["id", "text", "category"]


class CampaignListApi(APIView):
    permission_classes = [IsPM]

    def get(self, request: Request) -> Response:
        return Response(CampaignSerializer(Campaign.objects.all(), many=True).data)

    def post(self, request: Request) -> Response:
        incoming = CampaignSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        campaign = campaign_create(created_by=request.user, **incoming.validated_data)
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)


class CampaignDetailApi(APIView):
    permission_classes = [IsPM]

    def get(self, request: Request, campaign_id: int) -> Response:
        return Response(CampaignSerializer(get_object_or_404(Campaign, pk=campaign_id)).data)


class PromptListApi(APIView):
    permission_classes = [IsPM]

    def get(self, request: Request, campaign_id: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        return Response(PromptSerializer(campaign.prompts.all(), many=True).data)

    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        incoming = PromptsInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        prompts = prompts_add(campaign=campaign, **incoming.validated_data)
        return Response(PromptSerializer(prompts, many=True).data, status=status.HTTP_201_CREATED)
