"""The recordings browser's pages, mounted under /campaigns/<campaign_id>/recordings/."""

from django.urls import path

from labelhub.recordings import pages

app_name = "recordings"

urlpatterns = [
    path("", pages.recordings_page, name="recordings-browser"),
    path("csv/", pages.recordings_csv, name="recordings-csv"),
]
