from django.urls import path

from labelhub.recordings import api

urlpatterns = [
    path("recordings/", api.RecordingListApi.as_view(), name="recording-list"),
    path(
        "recordings/<int:recording_id>/",
        api.RecordingDetailApi.as_view(),
        name="recording-detail",
    ),
    path(
        "recordings/<int:recording_id>/audio/",
        api.RecordingAudioApi.as_view(),
        name="recording-audio",
    ),
]
