from django.urls import path

from labelhub.recordings import api, recorder_api

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
    # The recorder page's upload (its other endpoints are in labelhub.speakers.urls).
    path(
        "record/<str:token>/recordings/",
        recorder_api.RecorderRecordingApi.as_view(),
        name="recorder-recordings",
    ),
]
