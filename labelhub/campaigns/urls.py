from django.urls import path

from labelhub.campaigns import api

campaign = "campaigns/<int:campaign_id>/"

urlpatterns = [
    path("campaigns/", api.CampaignListApi.as_view(), name="campaign-list"),
    path(campaign, api.CampaignDetailApi.as_view(), name="campaign-detail"),
    path(f"{campaign}transition/", api.CampaignTransitionApi.as_view(), name="campaign-transition"),
    path(f"{campaign}legal-review/", api.LegalReviewApi.as_view(), name="legal-review"),
    path(
        f"{campaign}legal-review/sign-off/",
        api.LegalReviewSignOffApi.as_view(),
        name="legal-review-sign-off",
    ),
    path(f"{campaign}quota-cells/", api.QuotaCellListApi.as_view(), name="quota-cell-list"),
    path(
        f"{campaign}quota-cells/<int:cell_id>/",
        api.QuotaCellDetailApi.as_view(),
        name="quota-cell-detail",
    ),
    path(f"{campaign}prompts/", api.PromptListApi.as_view(), name="prompt-list"),
    path(f"{campaign}prompts/import/", api.PromptImportApi.as_view(), name="prompt-import"),
    path(f"{campaign}environments/", api.EnvironmentListApi.as_view(), name="environment-list"),
    path(
        f"{campaign}environments/<int:place_id>/",
        api.EnvironmentDetailApi.as_view(),
        name="environment-detail",
    ),
    path(f"{campaign}channels/", api.ChannelListApi.as_view(), name="channel-list"),
    path(
        f"{campaign}channels/<int:place_id>/",
        api.ChannelDetailApi.as_view(),
        name="channel-detail",
    ),
]
