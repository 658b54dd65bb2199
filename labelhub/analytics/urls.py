"""The analytics API, mounted under /api/."""

from django.urls import path

from labelhub.analytics import api

urlpatterns = [
    path(
        "analytics/campaigns/<int:campaign_id>/recollection/",
        api.RecollectionApi.as_view(),
        name="analytics-recollection",
    ),
    path(
        "analytics/campaigns/<int:campaign_id>/<slug:table>/",
        api.TableApi.as_view(),
        name="analytics-table",
    ),
    path("analytics/exclusions/", api.ExclusionListApi.as_view(), name="analytics-exclusions"),
    path(
        "analytics/exclusions/lift/",
        api.ExclusionLiftApi.as_view(),
        name="analytics-exclusions-lift",
    ),
    path("feedback/", api.FeedbackApi.as_view(), name="feedback"),
]
