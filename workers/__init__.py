"""LabelHub's Celery app, its thin task modules and the ASR engines."""

from workers.celery import app

__all__ = ["app"]
