from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView

from labelhub import views
from labelhub.accounts.api import TokenApi
from labelhub.accounts.views import LoginView
from labelhub.api_docs import SwaggerDocsView

# No language prefix in URLs: the language comes from the user's choice (cookie) or the
# browser's Accept-Language, so a Korean team sees Korean at the same addresses.
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Browser pages, one module per app.
    path("campaigns/", include("labelhub.planning.web_urls")),
    path("campaigns/<int:campaign_id>/recordings/", include("labelhub.recordings.web_urls")),
    path("record/", include("labelhub.speakers.web_urls")),
    path("work/", include("labelhub.labeling.web_urls")),
    path("portal/", include("labelhub.releases.web_urls")),
    path("analytics/", include("labelhub.analytics.web_urls")),
    path("api/", views.api_index, name="api-index"),
    # The OpenAPI 3 schema and Swagger UI over it: its files from drf-spectacular-sidecar, its
    # script a separate file (the split view), both allowed by the policy's script-src 'self';
    # see labelhub.schema.SwaggerDocsView for the page's one policy exception.
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SwaggerDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/auth/token/", TokenApi.as_view(), name="api-token"),
    path("api/", include("labelhub.campaigns.urls")),
    path("api/", include("labelhub.speakers.urls")),
    path("api/", include("labelhub.recordings.urls")),
    path("api/", include("labelhub.labeling.urls")),
    path("api/", include("labelhub.releases.urls")),
    path("api/", include("labelhub.analytics.urls")),
]

# Error pages: styled and translated for people, the documented JSON error shape under /api/.
handler403 = "labelhub.views.permission_denied"
handler404 = "labelhub.views.page_not_found"
