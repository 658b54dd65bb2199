import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils import translation
from rest_framework.test import APIClient

from labelhub.accounts.models import User
from tests.factories import ConsentRecordFactory, UserFactory
from tests.s3 import s3_server, s3_storage  # noqa: F401 (fixtures for every test module)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Each run gets its own test database, named with this process's pid: two pytest runs on one
    machine used to share test_labelhub, and the second dropped it under the first."""
    from django.conf import settings

    for database in settings.DATABASES.values():
        if database["ENGINE"] == "django.db.backends.sqlite3":
            continue  # an in-memory test database is private to the process already
        test = database.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + database['NAME']}_{os.getpid()}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker) -> Iterator[None]:
    """Before the test database is dropped, end the sessions a worker subprocess left open:
    PostgreSQL refuses to drop a database in use, and each run's database has its own name, so
    one left behind would stay on the machine."""
    yield
    with django_db_blocker.unblock():
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(autouse=True)
def media_root(settings: object, tmp_path: Path) -> Path:
    """Every test stores audio in its own folder, so a test can see exactly what was stored."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """A request in Korean leaves Korean active in this thread; the next test starts in the
    default language again, so its English assertions don't depend on test order."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Throttle and lockout counts start at zero in every test, whatever ran before."""
    clear_cache()


def clear_cache() -> None:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # Only LabelHub's keys: the same Redis database may hold Celery's queues and bindings,
        # which FLUSHDB (RedisCache.clear) would take from a running test worker.
        client = backend._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{backend.key_prefix}:*"))
        if keys:
            client.delete(*keys)
    else:
        backend.clear()


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.fixture
def pm() -> User:
    return UserFactory(role=User.Role.PM)


@pytest.fixture
def labeler() -> User:
    return UserFactory(role=User.Role.LABELER)


@pytest.fixture
def api_for():
    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def consented_speaker():
    return ConsentRecordFactory().speaker
