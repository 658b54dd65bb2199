from django.contrib import admin
from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token

from labelhub import views

# No language prefix in URLs: the language comes from the user's choice (cookie) or the
# browser's Accept-Language, so a Korean team sees Korean at the same addresses.
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", views.api_index, name="api-index"),
    path("api/auth/token/", obtain_auth_token, name="api-token"),
    path("api/", include("labelhub.campaigns.urls")),
    path("api/", include("labelhub.speakers.urls")),
    path("api/", include("labelhub.recordings.urls")),
    path("api/", include("labelhub.labeling.urls")),
    path("api/", include("labelhub.releases.urls")),
]
