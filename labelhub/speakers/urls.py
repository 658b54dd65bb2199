from django.urls import path

from labelhub.speakers import api

urlpatterns = [
    path(
        "campaigns/<int:campaign_id>/consent-documents/",
        api.ConsentDocumentListApi.as_view(),
        name="consent-document-list",
    ),
    path(
        "campaigns/<int:campaign_id>/speakers/",
        api.SpeakerListApi.as_view(),
        name="speaker-list",
    ),
]
