from celery import shared_task

from reports.services import rollups_refresh_stale


@shared_task(acks_late=True, ignore_result=True)
def refresh_stale_rollups() -> int:
    """Recompute organisation-months that case changes marked stale (ids only, no content)."""
    return rollups_refresh_stale()
