from django.apps import AppConfig


class SetupConfig(AppConfig):
    name = "setup"
    verbose_name = "Setting up a trust"

    def ready(self) -> None:
        from django.contrib import admin

        # The Django admin is for superusers only; administrators set up a trust in /setup/.
        def superusers_only(request) -> bool:
            return bool(request.user.is_active and request.user.is_superuser)

        admin.site.has_permission = superusers_only
