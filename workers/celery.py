"""The Celery app. Start a worker with ``celery -A workers worker``.

The app itself is labelhub.dispatch's, shared with the web process that queues tasks by name;
the worker adds the handler that ends a failed task's job.
"""

import workers.jobs  # noqa: F401 - connects the handler that ends a failed task's job
from labelhub.dispatch import app

__all__ = ["app"]
