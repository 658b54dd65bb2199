"""Role checks for the API. Object scoping lives in each app's selectors."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


class IsPM(BasePermission):
    message = _("Only a data PM may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user.is_authenticated and request.user.is_pm)


class IsLabelingStaff(BasePermission):
    message = _("Only labelers, reviewers and PMs may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user.is_authenticated and request.user.is_labeling_staff)
