from django.urls import path

from labelhub.releases import api

urlpatterns = [
    path("releases/", api.ReleaseListApi.as_view(), name="release-list"),
    path("releases/preview/", api.ReleasePreviewApi.as_view(), name="release-preview"),
    path("releases/<int:release_id>/", api.ReleaseDetailApi.as_view(), name="release-detail"),
    path(
        "releases/<int:release_id>/revoke/",
        api.ReleaseRevokeApi.as_view(),
        name="release-revoke",
    ),
    path(
        "releases/<int:release_id>/changes/",
        api.ReleaseChangesApi.as_view(),
        name="release-changes",
    ),
    path(
        "releases/<int:release_id>/withdrawn-items/",
        api.ReleaseWithdrawnItemsApi.as_view(),
        name="release-withdrawn-items",
    ),
    path(
        "releases/<int:release_id>/datasheet/",
        api.ReleaseDatasheetApi.as_view(),
        name="release-datasheet",
    ),
    path(
        "releases/<int:release_id>/downloads/",
        api.ReleaseDownloadsApi.as_view(),
        name="release-downloads",
    ),
    path(
        "releases/<int:release_id>/renditions/",
        api.ReleaseRenditionsApi.as_view(),
        name="release-renditions",
    ),
    path(
        "releases/<int:release_id>/download-url/",
        api.ReleaseDownloadUrlApi.as_view(),
        name="release-download-url",
    ),
    path(
        "releases/<int:release_id>/download/",
        api.ReleaseDownloadApi.as_view(),
        name="release-download",
    ),
    path(
        "releases/<int:release_id>/archive/",
        api.ReleaseSignedDownloadApi.as_view(),
        name="release-signed-download",
    ),
]
