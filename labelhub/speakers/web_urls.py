"""Browser pages of the speakers app (the API lives in urls.py), mounted under /record/."""

from django.urls import path

from labelhub.speakers import views

urlpatterns = [
    path("withdraw/<str:token>/", views.withdraw, name="speaker-withdraw-page"),
    path("<str:token>/", views.recorder, name="recorder"),
]
