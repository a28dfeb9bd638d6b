from django.apps import AppConfig


class ConcernsConfig(AppConfig):
    name = "concerns"
    default_auto_field = "django.db.models.BigAutoField"
