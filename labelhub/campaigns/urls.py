from django.urls import path

from labelhub.campaigns import api

urlpatterns = [
    path("campaigns/", api.CampaignListApi.as_view(), name="campaign-list"),
    path("campaigns/<int:campaign_id>/", api.CampaignDetailApi.as_view(), name="campaign-detail"),
    path("campaigns/<int:campaign_id>/prompts/", api.PromptListApi.as_view(), name="prompt-list"),
]
