"""Browser pages of the labeling app (the API lives in urls.py)."""

from django.urls import path

from labelhub.labeling import views

urlpatterns = [
    path("", views.workbench, name="labeling-workbench"),
    path("review/", views.review, name="labeling-review"),
    path("triage/", views.triage, name="labeling-triage"),
    path("triage/<int:task_id>/requeue/", views.triage_requeue, name="labeling-triage-requeue"),
    path("history/<int:recording_id>/", views.history, name="labeling-history"),
]
