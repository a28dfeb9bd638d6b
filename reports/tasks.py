import datetime as dt
import logging
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from reports.services import rollups_refresh_stale

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def refresh_stale_rollups() -> int:
    """Recompute organisation-months that case changes marked stale (ids only, no content)."""
    return rollups_refresh_stale()


@shared_task(acks_late=True, ignore_result=True)
def audit_family(
    organisation_ids: list[int], fy: int, now: str, suppress_up_to: int, round_to: int
) -> None:
    """Check a committee family too large for a request's integer program (ids, a year, a
    time and the rule: no figures), and keep the answer for the requests
    (``reports.family._checking``)."""
    from reports.disclosure import Disclosure
    from reports.exactcheck import Unchecked
    from reports.family import family_audit_on_worker, family_too_slow

    rule = Disclosure(suppress_up_to=suppress_up_to, round_to=round_to)
    started = time.monotonic()
    try:
        family_audit_on_worker(
            organisation_ids=organisation_ids,
            fy=fy,
            now=dt.datetime.fromisoformat(now),
            rule=rule,
        )
    except (SoftTimeLimitExceeded, Unchecked) as stopped:
        # never asked again: the requests audit it by propagation, as beyond the limit
        family_too_slow(organisation_ids=organisation_ids, fy=fy)
        reason = "too slow" if isinstance(stopped, SoftTimeLimitExceeded) else "no solution"
        logger.warning("committee audit: %s on the worker; audited by propagation", reason)
        return
    logger.info("committee audit checked on the worker in %.1f s", time.monotonic() - started)
