"""The retention rule: a case's content is erased a set time after the case ends.

What goes: the concern's text and hoped-for outcome, the reporter's name, contact and
account link, the receipt (the code opens nothing any more), attached files, the whole
conversation, internal notes, free text of the outcome, referral, reopening, detriment and
"would you speak up again?", and every event note. What stays: an anonymous record — the
reference, organisation, department, route, reporter role and professional group,
categories and standards, dates, state, outcome category and detriment answers — so every
governance figure stays as it was. The erasure is itself an event in the case's log.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import secrets

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from concerns.models import Attachment, Concern
from config import rules as config_rules
from workflow.events import case_event_record, case_log_reseal, case_log_verify
from workflow.models import (
    Case,
    Detriment,
    EventKind,
    InternalNote,
    Message,
    Outcome,
    SpeakUpAgainResponse,
    Status,
)

logger = logging.getLogger(__name__)

ENDED_STATES = (Status.CLOSED, Status.REFERRED, Status.WITHDRAWN)


def retention_cutoff(now: dt.datetime) -> dt.datetime | None:
    """Cases that ended before this have had their time; None when content is kept."""
    months = config_rules.retention().months_after_end
    if months is None:
        return None
    local = timezone.localtime(now)
    years, month0 = divmod(local.month - 1 - months, 12)
    year, month = local.year + years, month0 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def cases_due_for_erasure(*, now: dt.datetime | None = None) -> QuerySet[Case]:
    cutoff = retention_cutoff(now or timezone.now())
    if cutoff is None:
        return Case.objects.none()
    return Case.objects.filter(
        status__in=ENDED_STATES, closed_at__lt=cutoff, content_erased_at__isnull=True
    ).order_by("closed_at", "pk")


def case_content_erase(*, case_id: int, now: dt.datetime | None = None) -> bool:
    """Erase one case's content if the rule says its time has come; True if it did.

    Re-checked under the case's row lock, so a case reopened meanwhile is left alone. A
    case whose event log does not verify is not erased (that would launder tampering): it
    is logged, by reference only, for an administrator to look into."""
    now = now or timezone.now()
    with transaction.atomic():
        case = (
            cases_due_for_erasure(now=now)
            .select_for_update(of=("self",))
            .select_related("concern")
            .filter(pk=case_id)
            .first()
        )
        if case is None:
            return False
        broken = case_log_verify(case=case)
        if broken is not None:
            logger.error(
                "retention: %s not erased, its event log does not verify (%s at event %s)",
                case.reference,
                broken.problem,
                broken.seq,
            )
            return False
        _erase(case)
        old_head = case.log_head
        case_log_reseal(case=case)
        case.content_erased_at = now
        Case.objects.filter(pk=case.pk).update(
            content_erased_at=now, referral_reason="", reopen_reason=""
        )
        case_event_record(
            case=case,
            kind=EventKind.CONTENT_ERASED,
            actor=None,
            actor_role="system",
            note=f"Content erased under the retention rule. Log head before: {old_head}.",
        )
    return True


def _erase(case: Case) -> None:
    concern: Concern = case.concern
    concern.description, concern.outcome_hoped = "", ""
    concern.reporter, concern.reporter_name, concern.reporter_contact = None, "", ""
    concern.email_updates = False
    # An anonymous concern keeps a receipt value (a constraint), but one no code hashes to.
    concern.receipt_hash = (
        f"erased-{secrets.token_hex(16)}" if concern.receipt_hash is not None else None
    )
    concern.save(
        update_fields=[
            *("description", "outcome_hoped", "reporter", "reporter_name"),
            *("reporter_contact", "email_updates", "receipt_hash"),
        ]
    )
    Attachment.objects.filter(concern=concern).delete()
    Message.objects.filter(case=case).delete()
    InternalNote.objects.filter(case=case).delete()
    for outcome in Outcome.objects.filter(case=case):
        outcome.findings, outcome.actions, outcome.lessons = "", "", ""
        outcome.save(update_fields=["findings", "actions", "lessons"])
    for detriment in Detriment.objects.filter(case=case):
        detriment.note = ""
        detriment.save(update_fields=["note"])
    for answer in SpeakUpAgainResponse.objects.filter(case=case):
        answer.comment = ""
        answer.save(update_fields=["comment"])
