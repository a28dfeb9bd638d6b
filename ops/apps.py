from __future__ import annotations

import time
from typing import Any

from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from celery import signals
        from django.conf import settings

        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "ops-heartbeat",
            {"task": "ops.heartbeat", "schedule": float(settings.SPEAKUP_HEALTH.heartbeat_seconds)},
        )
        signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="ops.task_started")
        signals.task_postrun.connect(_task_finished, weak=False, dispatch_uid="ops.task_finished")


# task id -> (start time, the request id to restore: an eager task runs inside a request)
_started: dict[str, tuple[float, Any]] = {}


def _task_started(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    from ops import logs

    if task_id:
        # Task log lines carry the task id where a request's carry the request id.
        _started[task_id] = (time.perf_counter(), logs.request_id.set(task_id))


def _task_finished(
    task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any
) -> None:
    from ops import logs, metrics

    started = _started.pop(task_id, None) if task_id else None
    seconds = time.perf_counter() - started[0] if started is not None else None
    metrics.observe_task(
        task=getattr(task, "name", "unknown"), outcome=(state or "unknown").lower(), seconds=seconds
    )
    if started is not None:
        try:
            logs.request_id.reset(started[1])
        except ValueError:  # finished in another context than it started: just clear it
            logs.request_id.set("")
