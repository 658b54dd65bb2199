from django.urls import path

from labelhub.recordings import api

urlpatterns = [
    path("recordings/", api.RecordingListApi.as_view(), name="recording-list"),
    path(
        "campaigns/<int:campaign_id>/bulk-uploads/",
        api.BulkUploadApi.as_view(),
        name="recording-bulk-upload",
    ),
    path(
        "bulk-uploads/<int:bulk_upload_id>/",
        api.BulkUploadDetailApi.as_view(),
        name="bulk-upload-detail",
    ),
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
    path(
        "recordings/<int:recording_id>/spectrogram/",
        api.RecordingSpectrogramApi.as_view(),
        name="recording-spectrogram",
    ),
]
