"""Who may do what, by role: one module, used by the API, the pages and the services.

The roles themselves are facts on User (is_pm, can_review, ...); the predicates here take any
user, anonymous included, and answer False for a visitor. The DRF
permission classes and the page decorators below are built from them, so an API endpoint and the
page that calls it can never disagree about a role. Object scoping (which campaign, which
release) is not a role question and lives in each app's selectors.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from labelhub.accounts.models import User

Predicate = Callable[[Any], bool]


def signed_in_user(request: HttpRequest | Request) -> User:
    """The request's user where the view already requires sign-in (login_required, a role
    decorator, IsAuthenticated or a role permission), typed as a User; a visitor who reaches
    it anyway is refused rather than passed on as an AnonymousUser."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def is_pm(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_pm)


def is_reviewer(user: Any) -> bool:
    """The reviewer role itself: who may be handed a submitted transcript to review."""
    return bool(user.is_authenticated and user.is_reviewer)


def can_review(user: Any) -> bool:
    """Reviewers and PMs: the review queue, its page and its API."""
    return bool(user.is_authenticated and user.can_review)


def is_labeling_staff(user: Any) -> bool:
    """Labelers, reviewers and PMs: the workbench, its API and the clip audio."""
    return bool(user.is_authenticated and user.is_labeling_staff)


def is_portal_user(user: Any) -> bool:
    """PMs and clients: the release portal."""
    return bool(user.is_authenticated and user.is_portal_user)


class IsPM(BasePermission):
    message = _("Only a data PM may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_pm(request.user)


class CanReview(BasePermission):
    message = _("Only reviewers and PMs may review transcripts.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_review(request.user)


class IsLabelingStaff(BasePermission):
    message = _("Only labelers, reviewers and PMs may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_labeling_staff(request.user)


class IsPortalUser(BasePermission):
    message = _("Only data PMs and client users see releases.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_portal_user(request.user)


def role_required(predicate: Predicate) -> Callable[[Callable], Callable]:
    """A page decorator: visitors go to sign-in; signed-in users the predicate refuses get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


pm_required = role_required(is_pm)
reviewer_required = role_required(can_review)
labeling_staff_required = role_required(is_labeling_staff)
portal_user_required = role_required(is_portal_user)
