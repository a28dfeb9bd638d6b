"""What ``./scripts/production`` checks before it starts anything.

    python -m ops.production check     # prints each problem, exits 2 if there is one

No Django here: it runs before settings are loaded, on the raw environment.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit

REQUIRED = {
    "DATABASE_URL": "postgres://user:password@host:5432/speakup",
    "REDIS_URL": "redis://host:6379/0",
    "SECRET_KEY": "50+ random characters",
    "FIELD_ENCRYPTION_KEYS": "Fernet keys, comma-separated, newest first",
    "SPEAKUP_PEPPER": "32+ random characters, kept apart from the keys",
    "EMAIL_URL": "smtp+tls://user:password@host:587",
    "SITE_URL": "https://speakup.example.nhs.uk (what email links point at)",
}
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def problems(env: Mapping[str, str]) -> list[str]:
    found = [
        f"{name} is not set (expected {example})"
        for name, example in REQUIRED.items()
        if not env.get(name, "").strip()
    ]
    site = env.get("SITE_URL", "").strip()
    if site:
        parts = urlsplit(site)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            found.append(f"SITE_URL must be an http(s) URL with a host name, not {site!r}")
        elif _is_loopback(parts.hostname):
            found.append(
                "SITE_URL points at this machine's loopback address: links in email would "
                "not reach anyone. Set it to the address users open (https://...)."
            )
    database = env.get("DATABASE_URL", "")
    if database and not database.startswith(("postgres://", "postgresql://")):
        found.append("DATABASE_URL must be a PostgreSQL URL (postgres://...)")
    if env.get("DEBUG", "0").lower() in {"1", "true", "yes", "on"}:
        found.append("DEBUG is on: production runs with DEBUG off")
    keys = [k.strip() for k in env.get("FIELD_ENCRYPTION_KEYS", "").split(",") if k.strip()]
    if keys:
        from cryptography.fernet import Fernet

        for index, key in enumerate(keys, 1):
            try:
                Fernet(key.encode())
            except (ValueError, TypeError):
                found.append(f"FIELD_ENCRYPTION_KEYS: key {index} is not a Fernet key")
    if len(env.get("SECRET_KEY", "").strip() or "x" * 50) < 50:
        found.append("SECRET_KEY is shorter than 50 characters")
    return found


def main(argv: list[str]) -> int:
    if argv[1:] != ["check"]:
        print(__doc__, file=sys.stderr)
        return 64
    found = problems(os.environ)
    for problem in found:
        print(f"production: {problem}", file=sys.stderr)
    if found:
        print("production: refusing to start (see README, 'Production').", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
