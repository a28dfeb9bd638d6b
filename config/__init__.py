from .celery import app as celery_app

__all__ = ["celery_app"]

from . import security  # noqa: F401  (registers the deploy check)
