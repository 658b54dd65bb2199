"""The PM's campaign pages, mounted at /campaigns/ (the API lives in labelhub.campaigns.urls).

The namespace stays "campaigns": the pages moved here from that app, their names did not.
"""

from django.urls import path

from labelhub.planning import consent_pages, source_pages, views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list_page, name="list"),
    path("new/", views.campaign_create_page, name="create"),
    path("<int:campaign_id>/", views.campaign_detail_page, name="detail"),
    path("<int:campaign_id>/edit/", views.campaign_edit_page, name="edit"),
    path("<int:campaign_id>/transition/", views.campaign_transition_page, name="transition"),
    path("<int:campaign_id>/legal-review/", views.legal_review_page, name="legal-review"),
    path(
        "<int:campaign_id>/legal-review/sign-off/",
        views.legal_review_sign_off_page,
        name="legal-review-sign-off",
    ),
    path("<int:campaign_id>/consent/", consent_pages.consent_page, name="consent"),
    path(
        "<int:campaign_id>/consent/<int:document_id>/",
        consent_pages.consent_preview_page,
        name="consent-preview",
    ),
    path(
        "<int:campaign_id>/consent/<int:document_id>/translate/",
        consent_pages.consent_translate_page,
        name="consent-translate",
    ),
    path("<int:campaign_id>/quota-cells/", views.quota_cell_add_page, name="quota-cell-add"),
    path(
        "<int:campaign_id>/quota-cells/<int:cell_id>/delete/",
        views.quota_cell_delete_page,
        name="quota-cell-delete",
    ),
    path("<int:campaign_id>/prompts/import/", views.prompt_import_page, name="prompt-import"),
    path("<int:campaign_id>/environments/", views.environment_add_page, name="environment-add"),
    path(
        "<int:campaign_id>/environments/<int:place_id>/delete/",
        views.environment_delete_page,
        name="environment-delete",
    ),
    path("<int:campaign_id>/channels/", views.channel_add_page, name="channel-add"),
    path(
        "<int:campaign_id>/channels/<int:place_id>/delete/",
        views.channel_delete_page,
        name="channel-delete",
    ),
    path("<int:campaign_id>/invites/", views.invite_create_page, name="invite-create"),
    path("<int:campaign_id>/sources/", source_pages.sources_page, name="sources"),
    path(
        "<int:campaign_id>/sources/upload/",
        source_pages.source_upload_page,
        name="source-upload",
    ),
    path("<int:campaign_id>/bulk-uploads/", views.bulk_upload_page, name="bulk-upload-create"),
    path(
        "<int:campaign_id>/bulk-uploads/<int:upload_id>/",
        views.bulk_upload_report_page,
        name="bulk-upload",
    ),
]
