"""Run one round of the scheduled work (notifications, and the retention rule) in this process.

For the embedded set-up (no Celery beat): run it from cron every few minutes. With beat
running it is harmless: every step is idempotent.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from notifications import scheduling, services, tasks


class Command(BaseCommand):
    help = (
        "Plan and send due notifications, reminders, escalations, follow-ups and digests; "
        "erase the content of cases past the retention rule."
    )

    def handle(self, *args: object, **options: object) -> None:
        reminders = scheduling.reminders_record()
        escalations = scheduling.escalations_record()
        follow_ups = scheduling.follow_ups_record()
        digests = tasks.enqueue(scheduling.digests_plan())
        swept = services.deliveries_sweep()
        erased = services.retention_sweep()
        self.stdout.write(
            f"reminders {reminders}, escalations {escalations}, follow-ups {follow_ups}, "
            f"digests {digests}, planned {swept.planned}, sent {swept.sent}, "
            f"failed {swept.failed}, erased {erased}"
        )
