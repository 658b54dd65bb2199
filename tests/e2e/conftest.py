"""A real Celery worker process against the test database and Redis, for end-to-end tests."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def celery_worker_process(
    transactional_db: None, media_root: Path, tmp_path: Path
) -> Iterator[subprocess.Popen]:
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.fail("end-to-end tests need DATABASE_URL (PostgreSQL) and REDIS_URL set")
    from workers.celery import app

    app.control.purge()  # messages left by an earlier, interrupted run name rows that are gone
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(media_root),
        "ASR_MODEL_CACHE": str(settings.ASR_MODEL_CACHE),
        "DJANGO_SETTINGS_MODULE": "labelhub.settings",
    }
    command = [sys.executable, "-m", "celery", "-A", "workers", "worker", "--pool=solo"]
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [*command, "--loglevel=INFO", "--without-heartbeat", "--without-gossip"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_ready(worker, log_path)
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        print(log_path.read_text()[-4000:])  # shown by pytest when the test failed


def _wait_until_ready(worker: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"celery worker exited early:\n{log_path.read_text()}")
        if " ready." in log_path.read_text():
            return
        time.sleep(0.3)
    pytest.fail(f"celery worker not ready after {timeout}s:\n{log_path.read_text()}")
