"""Real Celery worker processes against the test database and Redis, for end-to-end tests."""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
StartWorker = Callable[..., subprocess.Popen]


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def start_worker(transactional_db: None, media_root: Path, tmp_path: Path) -> Iterator[StartWorker]:
    """Starts `celery worker` subprocesses on the test database; all are stopped afterwards.

    ``start(queues="asr", MEDIA_ROOT=...)`` picks the worker's queues and overrides its env."""
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.fail("end-to-end tests need DATABASE_URL (PostgreSQL) and REDIS_URL set")
    from workers.celery import app

    app.control.purge()  # messages left by an earlier, interrupted run name rows that are gone
    workers: list[tuple[subprocess.Popen, Path]] = []

    def start(queues: str = "celery,asr", **env_overrides: str) -> subprocess.Popen:
        log_path = tmp_path / f"worker{len(workers)}.log"
        env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "MEDIA_ROOT": str(media_root),
            "ASR_MODEL_CACHE": str(settings.ASR_MODEL_CACHE),
            "DJANGO_SETTINGS_MODULE": "labelhub.settings",
            **env_overrides,
        }
        command = [sys.executable, "-m", "celery", "-A", "workers", "worker", "-Q", queues]
        options = ["--pool=solo", "--loglevel=INFO", "--without-heartbeat", "--without-gossip"]
        with log_path.open("w") as log:
            worker = subprocess.Popen(
                [*command, *options, f"--hostname=test{len(workers)}@%h"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        workers.append((worker, log_path))
        _wait_until_ready(worker, log_path)
        return worker

    try:
        yield start
    finally:
        for worker, log_path in workers:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
            print(f"--- {log_path.name}\n{log_path.read_text()[-3000:]}")  # shown on failure


@pytest.fixture
def celery_worker_process(start_worker: StartWorker) -> subprocess.Popen:
    return start_worker()


def _wait_until_ready(worker: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"celery worker exited early:\n{log_path.read_text()}")
        if " ready." in log_path.read_text():
            return
        time.sleep(0.3)
    pytest.fail(f"celery worker not ready after {timeout}s:\n{log_path.read_text()}")
