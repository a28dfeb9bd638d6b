"""Who is acting in this request, for receivers that record changes made through any
route (the admin site, a page): set by SessionLimitsMiddleware."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

current_actor: ContextVar[Any] = ContextVar("speakup_current_actor", default=None)


def actor() -> Any:
    user = current_actor.get()
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


# Set while loading history (the demo): role grants are logged but nobody is mailed.
announcements_off: ContextVar[bool] = ContextVar("speakup_announcements_off", default=False)
