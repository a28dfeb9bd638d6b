"""gunicorn settings for serving the HTTP API and pages (``gunicorn -c config/gunicorn.conf.py
config.wsgi:application``); websockets are served by an ASGI server (see the README).

Sync workers, two per core: each request holds its worker while the database answers, so
a second worker per core keeps the core busy meanwhile.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
timeout = 60
# Workers load the application themselves (no preload): a database or Redis connection
# opened at import can never be shared across a fork by mistake.
preload_app = False


def post_worker_init(worker: object) -> None:
    """Once a worker has loaded Django: the objects that live as long as the worker (modules,
    models, URL patterns, settings) leave the collector's view, and collections run less
    often. A request allocates thousands of short-lived objects, and with the default
    threshold the collector kept re-scanning those long-lived ones: measured in
    benchmarks/api_bench.py (see benchmarks/README.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
