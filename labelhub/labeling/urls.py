from django.urls import path

from labelhub.labeling import api

urlpatterns = [
    path("tasks/claim/", api.TaskClaimApi.as_view(), name="task-claim"),
    path("tasks/<int:task_id>/submit/", api.TaskSubmitApi.as_view(), name="task-submit"),
]
