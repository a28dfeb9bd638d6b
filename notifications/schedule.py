"""The Celery beat schedule. Every entry is worked out from the database when it runs, so
the intervals only set how soon things happen, never whether they happen."""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Often, so that once the broker or the mail server is back what waited goes out within
    # seconds; a sweep with nothing due is two small queries. A sweep still queued when the
    # next is due is dropped rather than run late.
    "notifications-sweep": {
        "task": "notifications.sweep",
        "schedule": 15.0,
        "options": {"expires": 14.0},
    },
    "notifications-reminders": {
        "task": "notifications.reminders",
        "schedule": crontab(minute="*/15"),
    },
    "notifications-digests": {"task": "notifications.digests", "schedule": crontab(minute=5)},
    "notifications-retention": {
        "task": "notifications.retention",
        "schedule": crontab(hour=3, minute=17),
    },
}
