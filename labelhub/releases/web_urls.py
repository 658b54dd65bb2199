"""Browser pages of the releases app (the API lives in urls.py), mounted under /portal/."""

from django.urls import path

from labelhub.releases import views

urlpatterns = [
    path("", views.portal_index, name="portal-index"),
    path("token/", views.portal_token, name="portal-token"),
    path("manage/new/", views.portal_new, name="portal-new"),
    path("<int:release_id>/", views.portal_detail, name="portal-detail"),
    path("<int:release_id>/datasheet/", views.portal_datasheet, name="portal-datasheet"),
    path("<int:release_id>/download/", views.portal_download, name="portal-download"),
    path("<int:release_id>/renditions/", views.portal_rendition, name="portal-rendition"),
    path("<int:release_id>/revoke/", views.portal_revoke, name="portal-revoke"),
]
