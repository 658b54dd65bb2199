"""Who may succeed where: the access matrix's expectation table (see test_access_matrix).

EXPECTED maps each route ("api:<name>" or "page:<name>") to, per HTTP method, the set of
(role, object set) pairs that may succeed. A method a route does not list is the PM's alone
when the route says pm_only(), and nobody's otherwise. Write a new route here when you add it.
"""

from tests.security.access_world import (
    ANONYMOUS,
    CLIENT_A,
    CLIENT_B,
    LABELER,
    LISTED,
    NONE,
    PM,
    RESTRICTED,
    REVIEWER,
    ROLES,
    UNLISTED,
    A,
    B,
)
from tests.security.endpoints import Endpoint

Who = frozenset[tuple[str, str]]
Rules = dict[str, Who]
METHODS = ("get", "post", "put", "patch", "delete")
ANY_OBJECT = (NONE, A, B, RESTRICTED)
STAFF = (PM, LABELER, LISTED, UNLISTED, REVIEWER)

# Routes whose id is a signed token: the link itself is the credential (a speaker's invite or
# withdrawal link), so whoever holds it may use it whatever their role.
TOKEN_ROUTES = ("record/<str:token>/", "api/record/<str:token>/", "record/withdraw/<str:token>/")


def who(roles: tuple[str, ...], objects: tuple[str, ...] = (NONE,)) -> Who:
    return frozenset((role, name) for role in roles for name in objects)


NOBODY: Who = frozenset()
ANYONE = who(ROLES)
SIGNED_IN = who(tuple(role for role in ROLES if role != ANONYMOUS))
THE_PM = who((PM,), ANY_OBJECT)  # the vendor's data PM oversees every campaign and client
LABELING_STAFF = who(STAFF)
REVIEWERS = who((PM, REVIEWER))
PORTAL_USERS = who((PM, CLIENT_A, CLIENT_B))
LINK_HOLDERS = who(ROLES, (A, B, RESTRICTED))
# campaigns_open_to: every campaign that lists nobody, and the restricted one for those it lists.
THE_CAMPAIGNS_STAFF = (
    THE_PM | who((LABELER, LISTED, UNLISTED, REVIEWER), (A, B)) | who((LISTED,), (RESTRICTED,))
)
# A release goes only to its campaign's client: A's and the restricted campaign are client A's.
THE_RELEASES_CLIENT = THE_PM | who((CLIENT_A,), (A, RESTRICTED)) | who((CLIENT_B,), (B,))


def pm_only(**rules: Who) -> Rules:
    """The PM may use every method; the named methods also allow the roles given."""
    return {method: THE_PM | rules.get(method, NOBODY) for method in METHODS}


def only(**rules: Who) -> Rules:
    return {method: rules.get(method, NOBODY) for method in METHODS}


def route_key(endpoint: Endpoint) -> str:
    # Pages and API routes share some names (legal-review, prompt-import): a prefix parts them.
    return f"{'api' if endpoint.is_api else 'page'}:{endpoint.name}"


def refused_outright(role: str, objects: str, endpoint: Endpoint) -> bool:
    """Another client's objects, and the restricted campaign's for staff it does not list."""
    if endpoint.route.startswith(TOKEN_ROUTES):
        return False
    if role == CLIENT_A:
        return objects == B
    if role == CLIENT_B:
        return objects in (A, RESTRICTED)
    return role in (LABELER, UNLISTED, REVIEWER) and objects == RESTRICTED


PM_ONLY = pm_only()
_SITE = {
    "page:home": only(get=ANYONE),
    "page:healthz": only(get=ANYONE),
    # Django's LoginView answers PUT like POST: the form again, with its errors.
    "page:login": only(get=ANYONE, post=ANYONE, put=ANYONE),
    "page:logout": only(post=ANYONE),
    "api:api-index": only(get=ANYONE),
    # The OpenAPI schema and Swagger UI: the API's map, public like the index.
    "api:api-schema": only(get=ANYONE),
    "api:api-docs": only(get=ANYONE),
    "api:api-token": only(post=ANYONE),  # with a username and password
}
_CAMPAIGN_ROUTES = (
    "api:campaign-list",
    "api:campaign-detail",
    "api:campaign-transition",
    "api:legal-review",
    "api:legal-review-sign-off",
    "api:quota-cell-list",
    "api:quota-cell-detail",
    "api:prompt-list",
    "api:prompt-import",
    "api:environment-list",
    "api:environment-detail",
    "api:channel-list",
    "api:channel-detail",
    "page:list",
    "page:detail",
    "page:create",
    "page:edit",
    "page:transition",
    "page:legal-review",
    "page:legal-review-sign-off",
    "page:consent",
    "page:consent-preview",
    "page:consent-translate",
    "page:quota-cell-add",
    "page:quota-cell-delete",
    "page:prompt-import",
    "page:environment-add",
    "page:environment-delete",
    "page:channel-add",
    "page:channel-delete",
    "page:invite-create",
    "page:bulk-upload-create",
    "page:bulk-upload",
    "page:sources",
    "page:source-upload",
)
_CAMPAIGNS = dict.fromkeys(_CAMPAIGN_ROUTES, PM_ONLY)
_SPEAKERS = {
    "api:consent-document-list": PM_ONLY,
    "api:speaker-list": PM_ONLY,
    "api:invite-list": PM_ONLY,
    "api:speaker-withdraw": PM_ONLY,
    "api:speaker-consents": PM_ONLY,
    # The speaker's own links: no account, the signed token is the credential.
    "api:recorder-state": only(get=LINK_HOLDERS),
    "api:recorder-consent": only(post=LINK_HOLDERS),
    "api:recorder-recordings": only(post=LINK_HOLDERS),
    "page:recorder": only(get=LINK_HOLDERS),
    "page:speaker-withdraw-page": only(get=LINK_HOLDERS, post=LINK_HOLDERS),
}
_RECORDINGS = {
    # The list is scoped like the detail (recordings_visible_to); uploading stays the PM's.
    "api:recording-list": pm_only(get=LABELING_STAFF),
    "api:recording-bulk-upload": PM_ONLY,
    "api:bulk-upload-detail": PM_ONLY,
    # The clips of a campaign are for the staff who may work on it (campaigns_open_to).
    "api:recording-detail": only(get=THE_CAMPAIGNS_STAFF),
    "api:recording-audio": only(get=THE_CAMPAIGNS_STAFF),
    "api:recording-spectrogram": only(get=THE_CAMPAIGNS_STAFF),
    "api:recording-peaks": only(get=THE_CAMPAIGNS_STAFF),
    "api:recording-history": only(get=THE_CAMPAIGNS_STAFF),
    "page:labeling-history": only(get=THE_CAMPAIGNS_STAFF),
    "page:recordings-browser": PM_ONLY,
    "page:recordings-csv": PM_ONLY,
}
_LABELING = {
    "api:task-claim": only(post=LABELING_STAFF),
    # A task is acted on only by its lease holder (none holds one here).
    "api:task-submit": only(post=THE_CAMPAIGNS_STAFF),
    "api:task-lease": only(post=THE_CAMPAIGNS_STAFF),
    "api:task-skip": only(post=THE_CAMPAIGNS_STAFF),
    "api:task-requeue": PM_ONLY,
    "api:triage-list": PM_ONLY,
    "api:campaign-queue": PM_ONLY,
    "api:task-release": PM_ONLY,
    "api:task-reassign": PM_ONLY,
    "api:review-claim": only(post=REVIEWERS),
    "api:review-decide": only(post=THE_PM | who((REVIEWER,), (A, B))),
    "api:convention-check": only(post=LABELING_STAFF),
    "api:workbench-stats": only(get=LABELING_STAFF),
    "api:double-agreement": PM_ONLY,
    # A long-form source's segments are read by its campaign's staff; a span edit needs the
    # segment's lease (or, to add one, a lease on one of the source's), which nobody holds here.
    "api:source-segments": only(get=THE_CAMPAIGNS_STAFF),
    "api:segment-detail": only(),
    "api:segment-split": only(),
    "api:segment-merge-next": only(),
    "api:segment-delete": only(),
    "page:labeling-workbench": only(get=LABELING_STAFF),
    "page:labeling-review": only(get=REVIEWERS),
    "page:labeling-triage": PM_ONLY,
    "page:labeling-triage-requeue": PM_ONLY,
    "page:labeling-queue": PM_ONLY,
    "page:labeling-queue-release": PM_ONLY,
    "page:labeling-queue-reassign": PM_ONLY,
}
_RELEASES = {
    "api:release-list": pm_only(get=PORTAL_USERS),
    "api:release-detail": pm_only(get=THE_RELEASES_CLIENT),
    "api:release-changes": pm_only(get=THE_RELEASES_CLIENT),
    "api:release-withdrawn-items": pm_only(get=THE_RELEASES_CLIENT),
    "api:release-datasheet": pm_only(get=THE_RELEASES_CLIENT),
    "api:release-download-url": pm_only(get=THE_RELEASES_CLIENT, post=THE_RELEASES_CLIENT),
    "api:release-download": pm_only(get=THE_RELEASES_CLIENT),
    # Whoever may download a version may ask for another rendition of it.
    "api:release-renditions": pm_only(get=THE_RELEASES_CLIENT, post=THE_RELEASES_CLIENT),
    # The signed link is the credential; without a valid token nobody gets the archive.
    "api:release-signed-download": only(),
    "api:release-downloads": PM_ONLY,
    "api:release-revoke": PM_ONLY,
    "api:release-preview": PM_ONLY,
    "page:portal-index": only(get=PORTAL_USERS),
    "page:portal-token": only(post=PORTAL_USERS),
    "page:portal-detail": only(get=THE_RELEASES_CLIENT),
    "page:portal-rendition": only(post=THE_RELEASES_CLIENT),
    "page:portal-datasheet": only(get=THE_RELEASES_CLIENT),
    "page:portal-download": only(get=THE_RELEASES_CLIENT),
    "page:portal-revoke": PM_ONLY,
    "page:portal-new": PM_ONLY,
}
_ANALYTICS_ROUTES = (
    "api:analytics-table",
    "api:analytics-recollection",
    "api:analytics-exclusions",
    "api:analytics-exclusions-lift",
    "api:feedback",  # a deployed product posts with a PM's token
    "page:campaigns",
    "page:dashboard",
    "page:csv",
    "page:clips",
    "page:exclusions",
    "page:exclude",
    "page:lift",
    "page:gaps",
    "page:recollect",
)
_ANALYTICS = dict.fromkeys(_ANALYTICS_ROUTES, PM_ONLY)
EXPECTED: dict[str, Rules] = {
    **_SITE,
    **_CAMPAIGNS,
    **_SPEAKERS,
    **_RECORDINGS,
    **_LABELING,
    **_RELEASES,
    **_ANALYTICS,
}
