from django.urls import path

from labelhub.releases import api

urlpatterns = [
    path("releases/", api.ReleaseListApi.as_view(), name="release-list"),
    path("releases/<int:release_id>/", api.ReleaseDetailApi.as_view(), name="release-detail"),
    path(
        "releases/<int:release_id>/download/",
        api.ReleaseDownloadApi.as_view(),
        name="release-download",
    ),
]
