import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("speakup")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _forget_inherited_database_pools(**_: object) -> None:
    """A prefork child must not use a connection pool its parent made (the pool's threads
    did not survive the fork, and its sockets are the parent's): forget it, without closing
    the parent's connections, so the child opens its own on first use."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    DatabaseWrapper._connection_pools.clear()
