from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from notifications import receivers
        from notifications.schedule import BEAT_SCHEDULE
        from workflow.signals import case_event_recorded

        case_event_recorded.connect(
            receivers.on_case_event_recorded, dispatch_uid="notifications.on_case_event_recorded"
        )
        for name, entry in BEAT_SCHEDULE.items():
            settings.CELERY_BEAT_SCHEDULE.setdefault(name, entry)
