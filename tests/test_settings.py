"""Settings are read from the environment: embedded defaults, or PostgreSQL and Redis."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

PRINT_SETTINGS = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'name': str(settings.DATABASES['default']['NAME']), "
    "'broker': settings.CELERY_BROKER_URL, 'media': str(settings.MEDIA_ROOT), "
    "'debug': settings.DEBUG}))"
)


def run_with_env(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    # The process starts from a bare environment, as a production host would: not the test
    # run's database, and not the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE.
    inherited = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    clean["DJANGO_SETTINGS_MODULE"] = "labelhub.settings"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_under(env: dict[str, str]) -> dict:
    result = run_with_env(env, PRINT_SETTINGS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_defaults_need_no_server(tmp_path: Path) -> None:
    seen = settings_under({"LABELHUB_DATA_DIR": str(tmp_path)})
    assert seen["engine"] == "django.db.backends.sqlite3"
    assert seen["name"] == str(tmp_path / "labelhub.sqlite3")
    assert seen["broker"] == "filesystem://localhost//"
    assert seen["media"] == str(tmp_path / "media")
    assert seen["debug"] is False


def test_database_and_redis_urls_switch_to_postgresql_and_redis(tmp_path: Path) -> None:
    seen = settings_under(
        {
            "LABELHUB_DATA_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/somedb",
            "REDIS_URL": "redis://127.0.0.1:6379/3",
        }
    )
    assert seen["engine"] == "django.db.backends.postgresql"
    assert seen["name"] == "somedb"
    assert seen["broker"] == "redis://127.0.0.1:6379/3"


PRINT_PREPARE_THRESHOLD = (
    "import django; from django.conf import settings; django.setup(); "
    "print(settings.DATABASES['default'].get('OPTIONS', {}).get('prepare_threshold', 'off'))"
)


@pytest.mark.parametrize(("flag", "threshold"), [(None, "0"), ("1", "0"), ("0", "off")])
def test_prepared_statements_are_on_for_postgresql_unless_turned_off(
    tmp_path: Path, flag: str | None, threshold: str
) -> None:
    env = {"LABELHUB_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgres://u@db:5432/somedb"}
    if flag is not None:
        env["DATABASE_PREPARED_STATEMENTS"] = flag
    result = run_with_env(env, PRINT_PREPARE_THRESHOLD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == threshold


def test_the_embedded_database_prepares_nothing(tmp_path: Path) -> None:
    result = run_with_env({"LABELHUB_DATA_DIR": str(tmp_path)}, PRINT_PREPARE_THRESHOLD)
    assert result.stdout.strip() == "off", result.stderr


def test_a_bad_boolean_is_refused_with_its_name(tmp_path: Path) -> None:
    result = run_with_env({"LABELHUB_DATA_DIR": str(tmp_path), "DEBUG": "maybe"}, PRINT_SETTINGS)
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_secret_key_is_generated_once_per_installation(tmp_path: Path) -> None:
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_with_env({"LABELHUB_DATA_DIR": str(tmp_path)}, code).stdout
    second = run_with_env({"LABELHUB_DATA_DIR": str(tmp_path)}, code).stdout
    assert len(first.strip()) >= 50
    assert first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_check_deploy_passes_with_production_settings(tmp_path: Path) -> None:
    env = {
        "LABELHUB_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "x7" * 30 + "-production-like-secret",
        "LABELHUB_SECURE": "1",
        "ALLOWED_HOSTS": "labelhub.example.com",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    code = (
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])"
    )
    result = run_with_env(env, code)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("service", ["postgres", "redis", "web", "worker"])
def test_docker_compose_defines_each_service(service: str) -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert service in compose["services"]


def test_docker_compose_web_and_worker_use_postgres_and_redis() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("web", "worker"):
        environment = compose["services"][name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://redis:6379")
        assert set(compose["services"][name]["depends_on"]) >= {"postgres", "redis"}
    assert "celery -A workers worker" in " ".join(compose["services"]["worker"]["command"])


def test_the_beat_schedule_runs_the_job_reaper_task_the_worker_knows() -> None:
    from django.conf import settings

    from workers.celery import app

    app.loader.import_default_modules()
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "workers.tasks.jobs.jobs_reap" in tasks
    assert tasks <= set(app.tasks)


def test_docker_compose_and_the_demo_run_beat_so_the_reaper_runs() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "celery -A workers beat" in " ".join(compose["services"]["beat"]["command"])
    demo_worker = next(
        line for line in (ROOT / "Makefile").read_text().splitlines() if "workers worker" in line
    )
    assert " -B " in demo_worker
