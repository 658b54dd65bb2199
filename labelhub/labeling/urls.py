from django.urls import path

from labelhub.labeling import api, queue_api, segment_api

urlpatterns = [
    path("tasks/claim/", api.TaskClaimApi.as_view(), name="task-claim"),
    path("tasks/<int:task_id>/submit/", api.TaskSubmitApi.as_view(), name="task-submit"),
    path("tasks/<int:task_id>/lease/", api.TaskLeaseApi.as_view(), name="task-lease"),
    path("tasks/<int:task_id>/skip/", api.TaskSkipApi.as_view(), name="task-skip"),
    path("tasks/<int:task_id>/requeue/", api.TaskRequeueApi.as_view(), name="task-requeue"),
    path("triage/", api.TriageListApi.as_view(), name="triage-list"),
    path(
        "campaigns/<int:campaign_id>/queue/",
        queue_api.CampaignQueueApi.as_view(),
        name="campaign-queue",
    ),
    path("tasks/<int:task_id>/release/", queue_api.TaskReleaseApi.as_view(), name="task-release"),
    path(
        "tasks/<int:task_id>/reassign/", queue_api.TaskReassignApi.as_view(), name="task-reassign"
    ),
    path("reviews/claim/", api.ReviewClaimApi.as_view(), name="review-claim"),
    path("reviews/<int:task_id>/decide/", api.ReviewDecideApi.as_view(), name="review-decide"),
    path(
        "recordings/<int:recording_id>/peaks/",
        api.RecordingPeaksApi.as_view(),
        name="recording-peaks",
    ),
    path(
        "recordings/<int:recording_id>/history/",
        api.RecordingHistoryApi.as_view(),
        name="recording-history",
    ),
    path("conventions/check/", api.ConventionCheckApi.as_view(), name="convention-check"),
    path("workbench/stats/", api.WorkbenchStatsApi.as_view(), name="workbench-stats"),
    path("agreement/", api.AgreementApi.as_view(), name="double-agreement"),
    # Long-form segments (see the segment API contract).
    path(
        "sources/<int:source_id>/segments/",
        segment_api.SourceSegmentsApi.as_view(),
        name="source-segments",
    ),
    path(
        "segments/<int:segment_id>/",
        segment_api.SegmentDetailApi.as_view(),
        name="segment-detail",
    ),
    path(
        "segments/<int:segment_id>/split/",
        segment_api.SegmentSplitApi.as_view(),
        name="segment-split",
    ),
    path(
        "segments/<int:segment_id>/merge-next/",
        segment_api.SegmentMergeNextApi.as_view(),
        name="segment-merge-next",
    ),
    path(
        "segments/<int:segment_id>/delete/",
        segment_api.SegmentDeleteApi.as_view(),
        name="segment-delete",
    ),
]
