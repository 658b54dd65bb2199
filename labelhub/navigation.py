"""Which pages each role sees in the top navigation, and where each role lands after sign-in.

One place decides both, so the menu never offers a page whose guard would answer 403: the
tests request every item as each role and expect it to open.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from labelhub.accounts.models import User


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str


CAMPAIGNS = NavItem(_("Campaigns"), "/campaigns/")
ANALYTICS = NavItem(_("Analytics"), "/analytics/")
WORKBENCH = NavItem(_("Workbench"), "/work/")
REVIEW = NavItem(_("Review"), "/work/review/")
TRIAGE = NavItem(_("Triage"), "/work/triage/")
RELEASES = NavItem(_("Releases"), "/portal/")
ADMINISTRATION = NavItem(_("Administration"), "/admin/")

# Mirrors the guards of labelhub.accounts.permissions: pm_required (campaigns, analytics,
# triage), labeling_staff_required (workbench), reviewer_required (review), portal_user_required.
BY_ROLE: dict[str, tuple[NavItem, ...]] = {
    User.Role.PM: (CAMPAIGNS, ANALYTICS, WORKBENCH, REVIEW, TRIAGE, RELEASES),
    User.Role.REVIEWER: (WORKBENCH, REVIEW),
    User.Role.LABELER: (WORKBENCH,),
    User.Role.CLIENT: (RELEASES,),
}

# Labelers, reviewers and clients have one job each: home sends them straight to it.
LANDING: dict[str, str] = {
    User.Role.LABELER: WORKBENCH.url,
    User.Role.REVIEWER: REVIEW.url,
    User.Role.CLIENT: RELEASES.url,
}


def nav_items(user: User | AnonymousUser) -> list[NavItem]:
    if not user.is_authenticated:
        return []
    items = list(BY_ROLE.get(user.role, ()))
    if user.is_staff:  # the Django admin lets in staff accounts only
        items.append(ADMINISTRATION)
    return items


def landing_url(user: User | AnonymousUser) -> str | None:
    """Where home sends this user; None when home itself is their page (PMs, visitors)."""
    if not user.is_authenticated:
        return None
    return LANDING.get(user.role)


def navigation(request: HttpRequest) -> dict:
    """Template context processor: `nav_items` for base.html's menu."""
    return {"nav_items": nav_items(request.user)}
