from pathlib import Path

import pytest
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
