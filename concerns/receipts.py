"""Anonymous receipt codes.

A code is 20 characters of Crockford base32 (100 bits from ``secrets``) and 4 check
characters, shown once, grouped for reading. Only a deterministic scrypt hash, keyed with a
server-side pepper, is stored: deterministic so the concern can be found by it, slow so a
stolen table cannot be searched.

The check characters are a keyed MAC of the random part (20 bits, HMAC-SHA256 under a key
derived from the pepper): ``receipt_precheck`` tells a code this service issued from a guess
in a microsecond, with no hash and no database. A guess passes it once in about a million
tries, and knowing the check tells nothing about any concern's code (it is the random part
that is hashed and looked up). The receipt throttle uses it so that a reporter holding the
right code is let in even while others have used up the guessing budget. Codes issued
before the check existed (20 characters) are still accepted, without that privilege.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

from config import rules

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def _check_characters(random_part: str) -> str:
    policy = rules.receipts()
    key = hmac.new(settings.SPEAKUP_PEPPER.encode(), b"receipt-check", "sha256").digest()
    mac = int.from_bytes(hmac.new(key, random_part.encode(), "sha256").digest()[:8], "big")
    return "".join(ALPHABET[(mac >> (5 * i)) & 31] for i in range(policy.check_length))


def receipt_generate() -> str:
    policy = rules.receipts()
    raw = "".join(secrets.choice(ALPHABET) for _ in range(policy.length))
    raw += _check_characters(raw)
    return "-".join(raw[i : i + policy.group] for i in range(0, len(raw), policy.group))


def receipt_normalise(code: str) -> str | None:
    """Accept what a person types: any case, spaces or dashes, O for 0 and so on."""
    if not isinstance(code, str) or len(code) > 200:
        return None
    policy = rules.receipts()
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum()).translate(_READ_AS)
    if len(cleaned) not in {policy.length, policy.length + policy.check_length}:
        return None  # a code with its check, or one issued before checks existed
    if any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def receipt_precheck(code: str) -> bool:
    """True if ``code`` carries a valid check: this service issued it (or, once in about a
    million, a guess was lucky). Costs one HMAC: no scrypt, no database."""
    normalised = receipt_normalise(code)
    length = rules.receipts().length
    if normalised is None or len(normalised) == length:
        return False
    return hmac.compare_digest(normalised[length:], _check_characters(normalised[:length]))


def receipt_worth_checking(code: str) -> bool:
    """Whether the slow hash could find anything: a well-formed code that either passes the
    check or predates it. A guess that fails the check is refused for free."""
    normalised = receipt_normalise(code)
    if normalised is None:
        return False
    return len(normalised) == rules.receipts().length or receipt_precheck(code)


def receipt_hash(code: str) -> str | None:
    normalised = receipt_normalise(code)
    if normalised is None:
        return None
    policy = rules.receipts()
    digest = hashlib.scrypt(
        normalised.encode(),
        salt=hmac.new(settings.SPEAKUP_PEPPER.encode(), b"receipt", "sha256").digest(),
        n=policy.scrypt_n,
        r=policy.scrypt_r,
        p=policy.scrypt_p,
        maxmem=256 * 1024 * 1024,
        dklen=32,
    )
    return digest.hex()


def receipt_matches(code: str, stored_hash: str) -> bool:
    candidate = receipt_hash(code)
    return candidate is not None and hmac.compare_digest(candidate, stored_hash)
