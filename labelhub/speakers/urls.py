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
    path(
        "campaigns/<int:campaign_id>/invites/",
        api.InviteListApi.as_view(),
        name="invite-list",
    ),
    path(
        "speakers/<int:speaker_id>/withdraw/",
        api.SpeakerWithdrawApi.as_view(),
        name="speaker-withdraw",
    ),
    path(
        "speakers/<int:speaker_id>/consents/",
        api.SpeakerConsentApi.as_view(),
        name="speaker-consents",
    ),
    # The recorder page's endpoints: the signed invite token is the credential. Its upload,
    # record/<token>/recordings/, is routed from labelhub.recordings.urls.
    path("record/<str:token>/", api.RecorderStateApi.as_view(), name="recorder-state"),
    path(
        "record/<str:token>/consent/",
        api.RecorderConsentApi.as_view(),
        name="recorder-consent",
    ),
]
