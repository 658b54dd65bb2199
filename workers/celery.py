"""The Celery app. Start a worker with ``celery -A workers worker``."""

import os

from celery import Celery

import workers.jobs  # noqa: F401 - connects the handler that ends a failed task's job

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelhub.settings")

app = Celery("labelhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.imports = (
    "workers.tasks.ingest",
    "workers.tasks.asr",
    "workers.tasks.releases",
    "workers.tasks.withdrawal",
    "workers.tasks.jobs",
)


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **_kwargs: object) -> None:
    # The filesystem transport expects its folders to exist before the first message.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if key in options:
            os.makedirs(options[key], exist_ok=True)
