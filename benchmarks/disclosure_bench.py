"""Time the committee family's audit (secondary suppression) for N organisations.

Synthetic monthly counts, no database: ``python benchmarks/disclosure_bench.py 40 10``
(organisations, at most this many concerns per organisation and month, optional seed).
Prints the size of the family, the `*` and `x` counts, the time of ``protect`` and a
digest of the withheld cells (the same input must always give the same digest); then the
time of the family as the reports disclose it (each organisation's own family audited
first, then the cells of them all together: ``reports.family._disclose``), from a cold
cache, and its digest. ``EXACT_CELLS=100000`` (environment) lifts the integer program's
limit, to time it on families larger than the audit checks exactly; a family too large for
the request and not for the worker is timed as the worker audits it.
"""

import hashlib
import os
import random
import sys
import time
from collections import defaultdict
from dataclasses import replace
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402

from reports import family as F  # noqa: E402
from reports.disclosure import Disclosure  # noqa: E402
from reports.periods import financial_year  # noqa: E402
from reports.protection import protect  # noqa: E402

if "EXACT_CELLS" in os.environ:  # the request's limit, for the reports and for protect here
    EXACT = int(os.environ["EXACT_CELLS"])
    settings.SPEAKUP_DISCLOSURE = replace(settings.SPEAKUP_DISCLOSURE, exact_cells=EXACT)
    protect = partial(protect, exact_cells=EXACT)

ROUTES = ["open", "confidential", "anonymous"]
ROLES = ["learner", "supervisor", "other_staff"]
GROUPS = ["medical", "dental", "nursing_midwifery", "other"]
STATUSES = ["received", "closed", "referred", "withdrawn"]
CATEGORIES = ["a", "b", "c", "d", "e"]


def synthetic(n_orgs: int, per_month: int, seed: int, fy: int = 2024) -> dict:
    rnd = random.Random(seed)
    exact: dict = defaultdict(int)
    for org in range(1, n_orgs + 1):
        for m in financial_year(fy).months:
            q = (m.month - 4) % 12 // 3 + 1
            for _ in range(rnd.randint(0, per_month)):
                dims = [
                    ("total", ""),
                    ("route", rnd.choice(ROUTES)),
                    ("role", rnd.choice(ROLES)),
                    ("group", rnd.choice(GROUPS)),
                    ("status", rnd.choice(STATUSES)),
                    ("department", f"{org}-{rnd.randint(1, 6)}"),
                    ("category", rnd.choice(CATEGORIES)),
                ]
                for p in (F.month_key(m), F.quarter_key(fy, q), F.year_key(fy)):
                    for s in (org, F.ALL) if n_orgs > 1 else (org,):
                        for d, v in dims:
                            exact[(p, s, d, v)] += 1
                            if d == "status" and v == "referred":
                                exact[(p, s, "referral", "other")] += 1
                                exact[(p, s, "referral", "*")] += 1
                        if dims[4][1] == "received":
                            exact[(p, s, "response", "open")] += 1
                        if dims[4][1] == "closed":
                            exact[(p, s, "response", "closed")] += 1
    for s in [*range(1, n_orgs + 1), *([F.ALL] if n_orgs > 1 else [])]:
        # every open case raised this year: open now is this year's still open
        exact[(F.NOW, s, "open_now", "")] = exact[(F.year_key(fy), s, "response", "open")]
    return dict(exact)


def main() -> None:
    n_orgs = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    per_month = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    fy = 2024
    exact = synthetic(n_orgs, per_month, seed, fy)
    F._tag_slacks(exact)  # what a reader knows of categories, as the family has it
    slack = frozenset(key for key in exact if key[2] in F.SLACKS)
    orgs = list(range(1, n_orgs + 1))
    started = time.perf_counter()
    relations = F.family_relations_for(exact, orgs, fy)
    cells = protect(exact, relations, Disclosure(), priority=F._priority, slack=slack)
    elapsed = time.perf_counter() - started
    withheld = sorted(repr(k) for k, c in cells.items() if c.withheld)
    digest = hashlib.sha256("\n".join(withheld).encode()).hexdigest()[:16]
    stars = sum(c.suppressed and not c.withheld for c in cells.values())
    small = sum(c.withheld and exact.get(k, 0) <= 7 for k, c in cells.items())
    print(
        f"{n_orgs} orgs, <= {per_month}/org-month, seed {seed}: {len(exact)} cells, "
        f"{len(relations)} sums, {stars} *, {len(withheld)} x ({small} over a *), "
        f"{elapsed:.2f} s (relations and audit), withheld {digest}"
    )
    F._audited.cache_clear()
    cache.clear()
    items = tuple(sorted(exact.items(), key=repr))
    started = time.perf_counter()
    family = F._disclose(tuple(orgs), fy, items, Disclosure())
    elapsed = time.perf_counter() - started
    if family.checking:  # too large for the request: checked on the worker
        print(f"  in the request: waiting for the worker's check, {elapsed:.2f} s")
        token = F._ON_WORKER.set(True)
        started = time.perf_counter()
        family = F._disclose(tuple(orgs), fy, items, Disclosure())
        elapsed = time.perf_counter() - started
        F._ON_WORKER.reset(token)
        where = "on the worker"
    else:
        where = "in the request"
    withheld = sorted(repr(k) for k, c in family.cells.items() if c.withheld)
    digest = hashlib.sha256("\n".join(withheld).encode()).hexdigest()[:16]
    print(f"  as disclosed {where}, cold: {len(withheld)} x, {elapsed:.2f} s, withheld {digest}")
    F._audited.cache_clear()  # another process, with the answers in the shared cache
    started = time.perf_counter()
    again = F._disclose(tuple(orgs), fy, items, Disclosure())
    elapsed = time.perf_counter() - started
    assert again.cells == family.cells
    print(f"  as disclosed, another process: {elapsed:.2f} s")


if __name__ == "__main__":
    main()
