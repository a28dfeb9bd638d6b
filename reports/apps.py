import logging

from django.apps import AppConfig

logger = logging.getLogger(__name__)


class ReportsConfig(AppConfig):
    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from workflow.signals import case_event_recorded

        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "reports-refresh-stale-rollups",
            {"task": "reports.tasks.refresh_stale_rollups", "schedule": 60.0},
        )

        case_event_recorded.connect(
            _on_case_event, dispatch_uid="reports.rollups_on_case_event", weak=False
        )


def _on_case_event(
    sender: object, *, case_id: int, kind: str, case_row: dict | None = None, **kwargs: object
) -> None:
    """Keep rollups current after each committed case event. A failure here must not undo
    or break the change itself: it is logged (ids only) and ``rebuild_rollups`` repairs."""
    from reports.services import rollups_on_case_event

    try:
        rollups_on_case_event(case_id=case_id, kind=kind, case_row=case_row)
    except Exception:
        logger.exception("rollup refresh failed for case id %s (event %s)", case_id, kind)
