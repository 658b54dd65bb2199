"""Browser pages of the labeling app (the API lives in urls.py)."""

from django.urls import path

from labelhub.labeling import queue_pages, views

urlpatterns = [
    path("", views.workbench, name="labeling-workbench"),
    path("review/", views.review, name="labeling-review"),
    path("triage/", views.triage, name="labeling-triage"),
    path("triage/<int:task_id>/requeue/", views.triage_requeue, name="labeling-triage-requeue"),
    path("queue/<int:campaign_id>/", queue_pages.queue_page, name="labeling-queue"),
    path(
        "queue/<int:campaign_id>/tasks/<int:task_id>/release/",
        queue_pages.queue_release,
        name="labeling-queue-release",
    ),
    path(
        "queue/<int:campaign_id>/tasks/<int:task_id>/reassign/",
        queue_pages.queue_reassign,
        name="labeling-queue-reassign",
    ),
    path("history/<int:recording_id>/", views.history, name="labeling-history"),
]
