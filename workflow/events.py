"""The tamper-evident case event log.

Each event stores an HMAC (keyed with the server pepper) over its own fields, its note's
plaintext and the previous event's hash, so editing, inserting or deleting a row breaks the
chain that ``manage.py verify_case_log`` walks. Plaintext is hashed, not ciphertext, so key
rotation does not disturb the chain; the key stops anyone without it forging a new chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from workflow.models import Case, CaseEvent
from workflow.policies import Actor, ReceiptHolder
from workflow.signals import CASE_ROW_FIELDS, case_event_recorded

GENESIS = "0" * 64


def event_digest(event: CaseEvent) -> str:
    payload = json.dumps(
        [
            event.case_id,
            event.seq,
            event.kind,
            event.actor_id,
            event.actor_role,
            event.from_state,
            event.to_state,
            event.note,
            # UTC, so the digest is the same whatever zone the time was written in.
            event.created_at.astimezone(dt.UTC).isoformat(),
            event.prev_hash,
        ],
        separators=(",", ":"),
    )
    key = hmac.new(settings.SPEAKUP_PEPPER.encode(), b"case-log", hashlib.sha256).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def _actor_fields(actor: Actor, role: str | None) -> tuple[int | None, str]:
    if isinstance(actor, ReceiptHolder) or actor is None or not actor.is_authenticated:
        return None, role or ("reporter" if isinstance(actor, ReceiptHolder) else "system")
    return actor.pk, role or "staff"


def case_event_record(
    *,
    case: Case,
    kind: str,
    actor: Actor,
    actor_role: str | None = None,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    first: bool = False,
) -> CaseEvent:
    """Append an event. The caller holds the case row lock inside its transaction.

    ``first=True`` says the case was created in this transaction and has no events yet, which
    saves looking for the last one when a concern is raised."""
    last = (
        None
        if first
        else CaseEvent.objects.filter(case=case).order_by("-seq").values("seq", "hash").first()
    )
    actor_id, role = _actor_fields(actor, actor_role)
    event = CaseEvent(
        case=case,
        seq=(last["seq"] + 1) if last else 1,
        kind=kind,
        actor_id=actor_id,
        actor_role=role,
        from_state=from_state,
        to_state=to_state,
        note=note,
        created_at=timezone.now(),
        prev_hash=last["hash"] if last else GENESIS,
    )
    event.hash = event_digest(event)
    event.save()
    # The head moves with every event, here and nowhere else, so no caller can forget it.
    case.log_head = event.hash
    Case.objects.filter(pk=case.pk).update(log_head=event.hash)
    _announce_on_commit(event, case, first=first)
    return event


def _announce_on_commit(event: CaseEvent, case: Case, *, first: bool) -> None:
    """A case raised in this transaction is exactly as the raise built it, so its fields go
    along rather than being read again after the commit. (Should an enclosing transaction
    change it further, each change records its own event, announced after this one with
    the fields read afresh.)"""
    event_id, case_id, kind = event.pk, case.pk, event.kind
    row = {f: getattr(case, f) for f in CASE_ROW_FIELDS} if first else None
    transaction.on_commit(
        lambda: _announce(event_id=event_id, case_id=case_id, kind=kind, case_row=row)
    )


def _announce(
    *, event_id: int, case_id: int, kind: str, case_row: dict[str, object] | None = None
) -> None:
    """After commit: the case's plain fields, read once for every receiver."""
    if case_row is None:
        case_row = Case.objects.filter(pk=case_id).values(*CASE_ROW_FIELDS).first()
    case_event_recorded.send(
        sender=CaseEvent, event_id=event_id, case_id=case_id, kind=kind, case_row=case_row
    )


@dataclass(frozen=True)
class ChainBreak:
    case_reference: str
    seq: int
    problem: str


def case_log_verify(*, case: Case) -> ChainBreak | None:
    """The first break in the case's chain, or None when every event is as written."""
    expected_prev, expected_seq = GENESIS, 1
    # The head is read fresh: a stale Case instance must not report a false break.
    log_head = Case.objects.filter(pk=case.pk).values_list("log_head", flat=True).first()
    events = CaseEvent.objects.filter(case_id=case.pk).order_by("seq").iterator(chunk_size=500)
    try:
        for event in events:
            if event.seq != expected_seq:
                return ChainBreak(case.reference, expected_seq, "an event is missing")
            if event.prev_hash != expected_prev:
                return ChainBreak(
                    case.reference, event.seq, "the link to the previous event is broken"
                )
            if not hmac.compare_digest(event_digest(event), event.hash):
                return ChainBreak(case.reference, event.seq, "the event was altered")
            expected_prev, expected_seq = event.hash, expected_seq + 1
    except InvalidToken:
        # A note whose ciphertext was replaced cannot be decrypted: tampering, reported as such.
        return ChainBreak(case.reference, expected_seq, "an event's note cannot be decrypted")
    if expected_seq == 1:
        return ChainBreak(case.reference, 1, "the case has no events")
    if log_head != expected_prev:
        return ChainBreak(case.reference, expected_seq, "events at the end of the log are missing")
    return None


def case_log_reseal(*, case: Case) -> str:
    """Blank every event's note and re-link the chain; returns the new head.

    Only the retention rule calls this, inside its transaction, on a chain that verified
    first, and then records a CONTENT_ERASED event naming the old head: erasing the notes
    would otherwise read as tampering forever after."""
    events = list(CaseEvent.objects.filter(case_id=case.pk).order_by("seq"))
    prev = GENESIS
    for event in events:
        event.note, event.prev_hash = "", prev
        event.hash = prev = event_digest(event)
    CaseEvent.objects.bulk_update(events, ["note", "prev_hash", "hash"], batch_size=500)
    Case.objects.filter(pk=case.pk).update(log_head=prev)
    case.log_head = prev
    return prev
