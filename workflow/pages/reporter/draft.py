"""The raise journey's draft: what the reporter has typed so far, kept on the server.

The draft lives in the session (the database row, never a cookie, a URL or a log line) as one
Fernet token (``concerns.crypto``, the field-encryption keys), so the session store holds
ciphertext only. The token's own timestamp is the time limit: a draft untouched for
``DRAFT_SECONDS`` is refused and deleted, and a token that does not decrypt (tampered with,
or from a retired key) is treated the same way: the reporter starts again, with a message.

Signing in mid-journey keeps it: Django's ``login()`` gives the session a new key but keeps
its data; signing out (``logout()`` flushes the session) and "Exit this page" drop it.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from enum import Enum

from cryptography.fernet import InvalidToken
from django.contrib.sessions.backends.base import SessionBase

from concerns.crypto import encrypt_bytes, fernet

DRAFT_KEY = "speakup_raise_draft"
DRAFT_SECONDS = 60 * 60  # an hour since the last answer, as long as a reporter's idle session


class Problem(Enum):
    NONE = "none"
    MISSING = "missing"
    EXPIRED = "expired"
    UNREADABLE = "unreadable"


@dataclass
class Draft:
    """Answers as they were posted (field name -> values), page by page."""

    answers: dict[str, list[str]] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)  # the pages answered
    checked: bool = False  # reached "check your answers": changes go back there
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))  # one send only

    def value(self, name: str) -> str:
        values = self.answers.get(name) or [""]
        return values[0]

    def answer(self, page: str, answers: dict[str, list[str]]) -> None:
        self.answers.update(answers)
        if page not in self.done:
            self.done.append(page)

    def forget(self, page: str, names: tuple[str, ...]) -> None:
        for name in names:
            self.answers.pop(name, None)
        if page in self.done:
            self.done.remove(page)


@dataclass(frozen=True)
class Loaded:
    draft: Draft | None
    problem: Problem


def draft_load(session: SessionBase) -> Loaded:
    token = session.get(DRAFT_KEY)
    if not token:
        return Loaded(None, Problem.MISSING)
    try:
        raw = token.encode("ascii")
        plain = fernet().decrypt(raw)
        age = time.time() - fernet().extract_timestamp(raw)
        data = json.loads(plain)
        draft = Draft(
            answers={str(k): [str(v) for v in vs] for k, vs in data["answers"].items()},
            done=[str(p) for p in data["done"]],
            checked=bool(data["checked"]),
            nonce=str(data["nonce"]),
        )
    except (InvalidToken, ValueError, KeyError, TypeError, AttributeError, UnicodeError):
        draft_drop(session)
        return Loaded(None, Problem.UNREADABLE)
    if age > DRAFT_SECONDS:
        draft_drop(session)
        return Loaded(None, Problem.EXPIRED)
    return Loaded(draft, Problem.NONE)


def draft_save(session: SessionBase, draft: Draft) -> None:
    plain = json.dumps(
        {
            "answers": draft.answers,
            "done": draft.done,
            "checked": draft.checked,
            "nonce": draft.nonce,
        }
    ).encode()
    session[DRAFT_KEY] = encrypt_bytes(plain).decode("ascii")


def draft_drop(session: SessionBase) -> None:
    session.pop(DRAFT_KEY, None)
