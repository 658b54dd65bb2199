"""Browser pages of the analytics app (the API lives in urls.py)."""

from django.urls import path

from labelhub.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.campaign_list, name="campaigns"),
    path("<int:campaign_id>/", views.dashboard, name="dashboard"),
    path("<int:campaign_id>/gaps/", views.gaps, name="gaps"),
    path("<int:campaign_id>/recollect/", views.recollect, name="recollect"),
    path("<int:campaign_id>/clips/", views.clips, name="clips"),
    path("<int:campaign_id>/exclusions/", views.exclusions, name="exclusions"),
    path("<int:campaign_id>/exclusions/add/", views.exclude, name="exclude"),
    path("<int:campaign_id>/exclusions/lift/", views.lift, name="lift"),
    path("<int:campaign_id>/<slug:table>.csv", views.table_csv, name="csv"),
]
