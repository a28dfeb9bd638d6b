"""Refuse to serve with DEBUG off unless SECRET_KEY came from the environment.

Called by wsgi.py and asgi.py (so gunicorn, uvicorn, daphne and runserver all pass through
it), and registered as a deploy check. Management commands do not need a real key.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

MESSAGE = "SECRET_KEY is required when DEBUG is off."


def require_secret_key() -> None:
    if not settings.DEBUG and not settings.SECRET_KEY_FROM_ENV:
        raise ImproperlyConfigured(MESSAGE)


@register(Tags.security, deploy=True)
def secret_key_check(app_configs: object = None, **kwargs: object) -> list[Error]:
    if not settings.DEBUG and not settings.SECRET_KEY_FROM_ENV:
        return [Error(MESSAGE, hint="Set SECRET_KEY in the environment.", id="speakup.E001")]
    return []
