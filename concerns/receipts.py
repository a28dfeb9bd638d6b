"""Anonymous receipt codes.

A code is 20 characters of Crockford base32 (100 bits from ``secrets``), shown once, grouped
for reading. Only a deterministic scrypt hash, keyed with a server-side pepper, is stored:
deterministic so the concern can be found by it, slow so a stolen table cannot be searched.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

from config import policies

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def receipt_generate() -> str:
    policy = policies.receipts()
    raw = "".join(secrets.choice(ALPHABET) for _ in range(policy.length))
    return "-".join(raw[i : i + policy.group] for i in range(0, len(raw), policy.group))


def receipt_normalise(code: str) -> str | None:
    """Accept what a person types: any case, spaces or dashes, O for 0 and so on."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum()).translate(_READ_AS)
    if len(cleaned) != policies.receipts().length or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def receipt_hash(code: str) -> str | None:
    normalised = receipt_normalise(code)
    if normalised is None:
        return None
    policy = policies.receipts()
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
