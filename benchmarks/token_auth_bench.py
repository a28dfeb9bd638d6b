"""The account-token lookup on the API's hot path: ours (one statement by digest) against
django-rest-knox's own TokenAuthentication, in process, on whatever DATABASE_URL names
(a throwaway SQLite file if none). Each user also holds ``--others`` live tokens, as a
client that signs in every day would.

    SECRET_KEY=x DATABASE_URL=postgres://postgres@127.0.0.1:5432/h15_tokbench \\
        .venv/bin/python benchmarks/token_auth_bench.py --calls 3000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--others", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("SPEAKUP_DATA_DIR", tempfile.mkdtemp())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from knox.auth import TokenAuthentication

    from accounts.services import token_issue
    from api.authentication import AccountTokenAuthentication

    user, _ = get_user_model().objects.get_or_create(username="bench-token-user")
    for _ in range(args.others):
        token_issue(user=user)
    token = token_issue(user=user)[1]
    ours, knox = AccountTokenAuthentication(), TokenAuthentication()

    def timed(fn) -> float:
        for _ in range(100):
            fn()
        start = time.perf_counter()
        for _ in range(args.calls):
            fn()
        return (time.perf_counter() - start) / args.calls * 1e6

    from django.db import connection

    print(f"database: {connection.vendor}, {args.calls} calls, {args.others + 1} tokens")
    for _ in range(3):
        a = timed(lambda: ours.authenticate_credentials(token))
        b = timed(lambda: knox.authenticate_credentials(token.encode()))
        print(f"ours {a:7.1f} µs/call   knox {b:7.1f} µs/call")


if __name__ == "__main__":
    main()
