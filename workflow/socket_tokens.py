"""Opaque, per-session names for a reporter's live conversation socket.

The reporter's page listens on ``/ws/concern/<token>/``: the token is random, made for this
session and kept in it ({token: concern id}), so the socket's URL names no concern, and a
token is worthless in any other session. The socket still checks that whoever holds the
session may see that concern (a signed-in reporter's own, or a proven receipt).
"""

from __future__ import annotations

import secrets
from typing import Any

SESSION_KEY = "speakup_live_concerns"
SOCKET_NAME_PATTERN = r"[A-Za-z0-9_-]{22}"


def socket_token_for(session: Any, *, concern_id: int) -> str:
    """This session's token for one concern, made on first use."""
    tokens = dict(session.get(SESSION_KEY) or {})
    for token, held in tokens.items():
        if held == concern_id:
            return token
    token = secrets.token_urlsafe(16)  # 22 characters
    tokens[token] = concern_id
    session[SESSION_KEY] = tokens
    return token


def socket_path_for(session: Any, *, concern_id: int) -> str:
    return f"/ws/concern/{socket_token_for(session, concern_id=concern_id)}/"


def concern_for_socket_token(session: Any, token: str) -> int | None:
    """The concern id behind a token in this session, or None."""
    tokens = session.get(SESSION_KEY) if session is not None else None
    if not isinstance(tokens, dict):
        return None
    held = tokens.get(token)
    return held if isinstance(held, int) else None
