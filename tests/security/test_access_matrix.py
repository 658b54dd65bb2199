"""Role x object x method: every served route (tests.security.endpoints), probed by every role
on objects of two clients and of a restricted campaign, with every method.

No probe may answer 500. A probe may succeed (a 2xx, or a redirect anywhere but the login
page) only where EXPECTED below says so, and every route must be in EXPECTED, so a new endpoint
fails here until someone writes down who may use it. Another client's objects, and the
restricted campaign's for a labeler it does not list, always answer 403, 404 or 405.
"""

import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.security.access_expectations import EXPECTED, refused_outright, route_key
from tests.security.access_world import (
    NONE,
    OBJECT_SETS,
    ROLES,
    World,
    world_build,
)
from tests.security.endpoints import Endpoint, all_endpoints

METHODS = ("get", "post", "put", "patch", "delete")
REFUSALS = {403, 404, 405}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module inside a transaction that is rolled back at the end; each
    test runs in a savepoint inside it (pytest-django's db), like Django's setUpTestData."""
    media = tmp_path_factory.mktemp("matrix-media")
    with override_settings(MEDIA_ROOT=media), django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = world_build()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    built.media = media
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def media_root(world, settings, tmp_path) -> Path:
    """A fresh copy of the world's files per test: one role's deletions never reach the next."""
    root = tmp_path / "media"
    shutil.copytree(world.media, root)
    settings.MEDIA_ROOT = root
    return root


def _client(world: World, role: str, endpoint: Endpoint) -> Client:
    user = world.users[role]
    if endpoint.is_api:
        api = APIClient(raise_request_exception=False)
        if user is not None:
            api.force_authenticate(user)
        return api
    browser = Client(raise_request_exception=False)
    if user is not None:
        browser.force_login(user)
    return browser


def _probes(world: World, endpoint: Endpoint):
    if not endpoint.kwargs:
        yield NONE, endpoint.url()
        return
    for name in OBJECT_SETS:
        values = {**world.ids[name], **world.by_route[name].get(endpoint.route, {})}
        yield name, endpoint.url(**values)


def _succeeded(response) -> bool:
    if 200 <= response.status_code < 300:
        return True
    if 300 <= response.status_code < 400:
        return not response["Location"].startswith(resolve_url(django_settings.LOGIN_URL))
    return False


def _probe(world: World, role: str, endpoint: Endpoint) -> list[str]:
    problems = []
    client = _client(world, role, endpoint)
    allowed = EXPECTED.get(route_key(endpoint), {})
    for objects, url in _probes(world, endpoint):
        for method in METHODS:
            send = getattr(client, method)
            response = send(url, {}, format="json") if endpoint.is_api else send(url)
            status = response.status_code
            where = f"{role} {method.upper()} {url} ({route_key(endpoint)}, {objects})"
            if status >= 500:
                problems.append(f"{where}: {status}")
            elif _succeeded(response) and (role, objects) not in allowed.get(method, set()):
                problems.append(f"{where}: {status}, not allowed by EXPECTED")
            elif refused_outright(role, objects, endpoint) and status not in REFUSALS:
                problems.append(f"{where}: {status}, expected 403, 404 or 405")
    return problems


def test_every_route_is_in_the_expectation_table() -> None:
    missing = sorted({route_key(e) for e in all_endpoints()} - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - {route_key(e) for e in all_endpoints()})

    assert not missing, f"say who may use these routes in EXPECTED: {missing}"
    assert not stale, f"EXPECTED names routes that are no longer served: {stale}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_no_role_gets_more_than_the_table_allows_and_nothing_answers_500(world, role) -> None:
    problems = [p for endpoint in all_endpoints() for p in _probe(world, role, endpoint)]

    assert not problems, "\n".join(problems)


# Reads whose table entry names roles besides the PM: each allowed pair must really succeed, so
# the matrix above cannot pass by probing ids that name nothing.
READS_FOR_MORE_THAN_THE_PM = (
    "api:recording-detail",
    "api:recording-audio",
    "api:recording-spectrogram",
    "api:recording-peaks",
    "api:recording-history",
    "api:source-segments",
    "page:labeling-history",
    "api:release-detail",
    "api:release-changes",
    "api:release-withdrawn-items",
    "api:release-datasheet",
    "api:release-download-url",
    "api:release-download",
    "page:portal-detail",
    "page:portal-datasheet",
    "page:portal-download",
)


@pytest.mark.django_db
@pytest.mark.parametrize("key", READS_FOR_MORE_THAN_THE_PM)
def test_everyone_the_table_allows_a_read_really_gets_it(world, key) -> None:
    endpoint = next(e for e in all_endpoints() if route_key(e) == key)
    refused = []
    for objects, url in _probes(world, endpoint):
        for role in ROLES:
            if (role, objects) in EXPECTED[key]["get"]:
                response = _client(world, role, endpoint).get(url)
                if not _succeeded(response):
                    refused.append(f"{role} GET {url} ({objects}): {response.status_code}")

    assert not refused, "\n".join(refused)
