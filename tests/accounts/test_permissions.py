"""The role predicates, and the API classes and page decorators built from them."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from labelhub.accounts import permissions
from labelhub.accounts.models import User
from tests.factories import UserFactory

Role = User.Role
# Who each predicate lets in; every other role, and a visitor, is refused.
ADMITTED = {
    permissions.is_pm: {Role.PM},
    permissions.is_reviewer: {Role.REVIEWER},
    permissions.can_review: {Role.REVIEWER, Role.PM},
    permissions.is_labeling_staff: {Role.LABELER, Role.REVIEWER, Role.PM},
    permissions.is_portal_user: {Role.PM, Role.CLIENT},
}
CASES = [(predicate, role) for predicate in ADMITTED for role in Role.values]


@pytest.mark.parametrize(("predicate", "role"), CASES)
def test_each_predicate_admits_exactly_its_roles(predicate, role):
    user = User(username="u", role=role)
    assert predicate(user) is (role in ADMITTED[predicate])


@pytest.mark.parametrize("predicate", list(ADMITTED))
def test_a_visitor_and_a_user_without_a_role_are_refused_by_every_predicate(predicate):
    assert predicate(AnonymousUser()) is False
    assert predicate(User(username="u", role="")) is False


@pytest.mark.parametrize(
    ("permission", "predicate"),
    [
        (permissions.IsPM, permissions.is_pm),
        (permissions.CanReview, permissions.can_review),
        (permissions.IsLabelingStaff, permissions.is_labeling_staff),
        (permissions.IsPortalUser, permissions.is_portal_user),
    ],
)
@pytest.mark.parametrize("role", Role.values)
def test_the_api_permission_agrees_with_its_predicate(permission, predicate, role):
    request = RequestFactory().get("/")
    request.user = User(username="u", role=role)
    assert permission().has_permission(request, view=None) is predicate(request.user)


def _page(request):
    return HttpResponse("opened")


@pytest.mark.django_db
def test_reviewer_required_opens_for_a_reviewer_and_refuses_a_labeler():
    page = permissions.reviewer_required(_page)
    request = RequestFactory().get("/work/review/")
    request.user = UserFactory(role=Role.REVIEWER)
    assert page(request).content == b"opened"
    request.user = UserFactory(role=Role.LABELER)
    with pytest.raises(PermissionDenied):
        page(request)


def test_pm_required_sends_a_visitor_to_sign_in():
    request = RequestFactory().get("/campaigns/")
    request.user = AnonymousUser()
    response = permissions.pm_required(_page)(request)
    assert response.status_code == 302
    assert "next=/campaigns/" in response["Location"]
