"""Swagger UI's page (/api/docs/); kept out of labelhub.schema, which DRF's settings import
while drf_spectacular.views is still importing them."""

from typing import Any

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.response import Response

from labelhub.csp import content_security_policy, policy_with


class SwaggerDocsView(SpectacularSwaggerSplitView):
    """Swagger UI (/api/docs/) under the site's policy, with one exception on this page only.

    swagger-ui.css draws its icons (arrows, copy, lock) as data: SVG images, which the site's
    img-src 'self' refuses; an image cannot run script, so data: is allowed for images here and
    nowhere else. The page's script and style are files of our own origin (see
    templates/drf_spectacular/swagger_ui.html), so script-src and style-src stay 'self'.
    """

    @extend_schema(exclude=True)  # the page itself is no API operation
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        response.headers["Content-Security-Policy"] = policy_with(
            content_security_policy(), "img-src", "data:"
        )
        return response
