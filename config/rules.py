"""Typed, frozen settings: the rules the product runs by (timeliness, disclosure, receipts …).

Settings hold instances of these; code asks for them through the accessors below at call
time (never at import time), so tests can override them with ``override_settings``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class TimelinessPolicy:
    # The EU Whistleblowing Directive allows 7 days to acknowledge; we aim well inside it.
    acknowledge_working_days: int = 2
    feedback_months: int = 3
    # How far ahead of a deadline a reminder goes to the assigned guardian.
    reminder_working_days: int = 1
    holiday_country: str = "GB"
    holiday_subdivision: str = "ENG"


@dataclass(frozen=True)
class DisclosurePolicy:
    """NHS Digital small-number rule: 1..threshold shown as '*', others rounded."""

    suppress_up_to: int = 7
    round_to: int = 5
    # The integer program checks a committee family of up to this many published cells (not
    # 0) in the request: up to four organisations at up to 10 concerns a month (3 s for
    # three, 4 s for four, each organisation's own family included; benchmarks/README.md).
    exact_cells: int = 2300
    # A larger family, up to this many, is checked by the integer program on the worker;
    # until then its figures of them all together are withheld (reports.family._checking).
    # Larger still: propagation alone (the known gap, README).
    background_cells: int = 18000  # forty organisations at 10 concerns a month: 471 s
    # Up to this many, the program asks the whole family what a few organisations at a time
    # cannot answer (exact: 10 organisations 9 s; 15, about 7,000 cells, 34 s; 20, about
    # 9,100, 85 to 236 s; 25: 515 s). Larger, it asks a few organisations at a time only, and
    # withholds around a count it cannot free so (every `*` shown still has two data sets).
    proof_cells: int = 9500
    background_seconds: int = 900  # the worker's time limit for one such check


@dataclass(frozen=True)
class ReceiptPolicy:
    # 20 Crockford base32 characters = 100 bits of entropy (the floor is 80), then a keyed
    # check of 4 characters (concerns.receipts.receipt_precheck).
    length: int = 20
    check_length: int = 4
    group: int = 4
    # scrypt work factor: about 50 ms per attempt on this class of machine.
    scrypt_n: int = 2**14
    scrypt_r: int = 8
    scrypt_p: int = 1
    session_minutes: int = 30
    attempts_per_client_per_hour: int = 10
    attempts_global_per_minute: int = 120
    # Each anonymous concern costs a slow receipt hash: the raise form takes this many an
    # hour from one client (the API's rate is its "anonymous_raise" throttle).
    anonymous_raises_per_client_per_hour: int = 20


@dataclass(frozen=True)
class AttachmentPolicy:
    max_bytes: int = 10 * 1024 * 1024
    max_files: int = 5
    allowed_types: tuple[str, ...] = (
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
    )


@dataclass(frozen=True)
class RetentionPolicy:
    """How long a case's content is kept once the case has ended (closed, referred or
    withdrawn). Then its text, files, conversation, notes and the reporter's identity are
    erased; the case stays as an anonymous record (dates, state, categories, outcome), so
    the governance figures do not change. None keeps content for ever."""

    months_after_end: int | None = 72  # six years, as for HR case files in the NHS code


@dataclass(frozen=True)
class SessionPolicy:
    """How long a signed-in session lives: ended after this long without a request (staff
    sooner than reporters), and after ``absolute_hours`` from sign-in whatever happens."""

    staff_idle_minutes: int = 30
    idle_minutes: int = 60
    absolute_hours: int = 12
    # The last-seen time is written at most this often, not on every request.
    touch_seconds: int = 60


def timeliness() -> TimelinessPolicy:
    return settings.SPEAKUP_TIMELINESS


def disclosure() -> DisclosurePolicy:
    return settings.SPEAKUP_DISCLOSURE


def receipts() -> ReceiptPolicy:
    return settings.SPEAKUP_RECEIPTS


def attachments() -> AttachmentPolicy:
    return settings.SPEAKUP_ATTACHMENTS


def retention() -> RetentionPolicy:
    # An administrator's setting (setup pages) overrides RETENTION_MONTHS_AFTER_END.
    from setup.services import retention_in_force

    return retention_in_force()


def sessions() -> SessionPolicy:
    return settings.SPEAKUP_SESSIONS
