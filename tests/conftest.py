from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils import translation
from rest_framework.test import APIClient

from labelhub.accounts.models import User
from tests.factories import ConsentRecordFactory, UserFactory


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
