"""Realistic synthetic load for reports and benchmarks.

    SECRET_KEY=x DATABASE_URL=postgres://postgres@127.0.0.1:5432/speakup_bench \
        .venv/bin/python benchmarks/generate_concerns.py --count 1000000

or, from Python (benchmarks/reports_bench.py, the tests): ``generate_concerns(load=Load(...))``.

Proportions follow the National Guardian's Office figures for 2022/23 (9.3% anonymous;
elements of patient safety 19.3%, bullying 21.7%, inappropriate behaviour 30%, worker
safety 27.4%; detriment 3.9%); states follow each concern's age.

Fast on purpose, and honest about it:
- rows go in by batches straight into concerns, cases, the category and standard link
  tables, outcomes, detriment and "speak up again" answers (COPY on PostgreSQL,
  executemany elsewhere: ``bulk_create`` with pre-encrypted values as expressions compiles
  SQL per row and was ten times slower); then the report rollups are rebuilt;
- every description is the same fixed synthetic text, encrypted once and the token reused
  (encrypting each row would dominate the run and tells a load test nothing); the model's
  encrypting fields are bypassed only for these fixed tokens;
- each case's state is written once, when its row is built, as its age implies; no case
  events are written, so ``verify_case_log`` will report these cases;
- anonymous concerns get random unique placeholder receipt hashes that no receipt code
  can ever match: synthetic concerns cannot be opened by anyone holding a receipt;
- references are SU-YYYY-Snnnnnnn (the S keeps them apart from real references).

So this is load-test data only, and it refuses to write where it could do harm:

- **into a database holding any concern that is not synthetic** (a reference not of the
  SU-YYYY-Snnnnnnn shape): someone's real concerns would be mixed with invented ones, and
  their reports with them. ``--force`` overrides this one, for a copy of real data kept for
  load tests.
- **with DEBUG off, into a database not obviously a disposable one**: DEBUG off is how
  production runs, so there the database must say what it is. Obviously disposable: an
  in-memory SQLite database, or one whose name (its file name, for SQLite) has a word
  "test", "bench", "benchmark", "load", "soak" or "synthetic" (``test_speakup``,
  ``speakup_reports_bench``, ``h14_soak``). ``--force`` does not override this: run with
  DEBUG=1, or name the database for what it is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import django
from django.conf import settings

if __name__ == "__main__":  # run as a script: set Django up first
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, models, transaction
from django.utils import timezone

from concerns.crypto import EncryptedTextField, encrypt_bytes
from concerns.models import Category, Concern, Department, Organisation
from reports.fastpaths import tables_analyze
from reports.services import ROLLUP_MODELS, rollups_rebuild
from workflow import timeliness
from workflow.models import (
    Case,
    Detriment,
    DueKind,
    Outcome,
    ReferralDestination,
    SpeakUpAgainResponse,
    Status,
)

SYNTHETIC_REFERENCE = r"^SU-[0-9]{4}-S[0-9]{7}$"
_DISPOSABLE_WORDS = re.compile(r"(^|[^a-z])(test|bench|benchmark|load|soak|synthetic)($|[^a-z])")


class Refused(Exception):
    """This database is not one to fill with synthetic concerns (the message says why)."""


@dataclass(frozen=True)
class Load:
    """How much synthetic load, and of what shape."""

    count: int
    organisations: int = 40
    departments: int = 6
    years: float = 3.0
    batch: int = 5000
    seed: int = 1
    rollups: bool = True
    serial_from: int = 0  # the first reference serial: give parallel runs disjoint ranges


def database_is_disposable(*, vendor: str, name: str) -> bool:
    """An in-memory SQLite database, or one named as a test, benchmark or load database."""
    name = str(name)
    if vendor == "sqlite" and (name == ":memory:" or "mode=memory" in name):
        return True
    return bool(_DISPOSABLE_WORDS.search(Path(name).name.lower()))


def refusal(*, debug: bool, disposable: bool, real_concerns: bool, force: bool) -> str | None:
    """Why not to write here (None: go ahead). See the module's docstring."""
    if not debug and not disposable:
        return (
            "DEBUG is off and the database's name does not say it is a test, benchmark or "
            "load database: run with DEBUG=1, or use such a database."
        )
    if real_concerns and not force:
        return "The database holds concerns that are not synthetic; --force to add to them."
    return None


def check_database(*, force: bool = False) -> None:
    """Refuse (``Refused``) a database that synthetic concerns could harm."""
    reason = refusal(
        debug=settings.DEBUG,
        disposable=database_is_disposable(
            vendor=connection.vendor, name=str(connection.settings_dict["NAME"])
        ),
        real_concerns=Concern.objects.exclude(reference__regex=SYNTHETIC_REFERENCE).exists(),
        force=force,
    )
    if reason is not None:
        raise Refused(reason)


def generate_concerns(
    *, load: Load, force: bool = False, say: Callable[[str], object] = print
) -> None:
    """Insert ``load.count`` synthetic concerns with their cases, then rebuild the rollups."""
    check_database(force=force)
    started = time.monotonic()
    generator = _Generator(load)
    done = 0
    while done < load.count:
        size = min(load.batch, load.count - done)
        with transaction.atomic():
            generator.batch(size, load.serial_from + done)
        done += size
        if done % (load.batch * 20) == 0 or done == load.count:
            say(f"{done} concerns in {time.monotonic() - started:.0f}s")
    generated = time.monotonic() - started
    loaded: list[type[models.Model]] = [
        Concern,
        Concern.categories.through,
        Concern.standards.through,
        Case,
    ]
    if load.rollups:
        rollups_rebuild(organisation_ids=[o.pk for o, _ in generator.orgs])
        loaded += ROLLUP_MODELS
    tables_analyze(loaded)
    say(
        f"Generated {load.count} concerns in {generated:.1f}s; rollups "
        f"{'rebuilt' if load.rollups else 'not rebuilt'}; total "
        f"{time.monotonic() - started:.1f}s."
    )


DESCRIPTION = "Synthetic concern generated for load testing. It describes nothing real."
CATEGORY_SHARE = {
    "patient-safety": 0.193,
    "bullying-harassment": 0.217,
    "inappropriate-behaviour": 0.30,
    "worker-safety": 0.274,
    "education-quality": 0.10,
    "discrimination": 0.05,
}
ROUTES = (("anonymous", 0.093), ("confidential", 0.30), ("open", 0.607))
ROLES = (("learner", 0.40), ("supervisor", 0.15), ("other_staff", 0.45))
GROUPS = (
    ("nursing_midwifery", 0.35),
    ("medical", 0.15),
    ("allied_health", 0.12),
    ("dental", 0.03),
    ("pharmacy", 0.04),
    ("healthcare_science", 0.03),
    ("other", 0.20),
    ("not_said", 0.08),
)
UPHELD = (("upheld", 0.35), ("partly", 0.25), ("not_upheld", 0.30), ("undetermined", 0.10))
AGAIN = (("yes", 0.85), ("no", 0.04), ("maybe", 0.08), ("dont_know", 0.03))
DETRIMENT = 0.039


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    x, acc = rng.random(), 0.0
    for value, share in table:
        acc += share
        if x < acc:
            return value
    return table[-1][0]


def _token(text: str) -> str:
    """An already-encrypted value, inserted as is (no per-row encryption)."""
    return encrypt_bytes(text.encode()).decode("ascii")


def _reserve_ids(model: type[models.Model], n: int) -> list[int]:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, n],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + n))


def _insert(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert model instances as they are: encrypted fields already hold their tokens."""
    if not objs:
        return
    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    plain = [isinstance(f, EncryptedTextField) for f in fields]
    rows = [
        [
            getattr(obj, f.attname)
            if raw
            else f.get_db_prep_save(getattr(obj, f.attname), connection)
            for f, raw in zip(fields, plain, strict=True)
        ]
        for obj in objs
    ]
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


class _Generator:
    """One run's fixed choices (organisations, categories, tokens) and its random source."""

    def __init__(self, load: Load) -> None:
        self.rng = random.Random(load.seed)
        self.orgs = self._organisations(load.organisations, load.departments)
        self.categories = {c.slug: c for c in Category.objects.prefetch_related("standards")}
        self.implied = {
            slug: [s.pk for s in c.standards.all()] for slug, c in self.categories.items()
        }
        self.tokens = {"description": _token(DESCRIPTION), "blank": _token("")}
        self.findings = _token("Synthetic outcome.")
        self.guardian = self._guardian()
        self.now = timezone.now()
        self.span = dt.timedelta(days=365.25 * load.years)

    def _guardian(self) -> AbstractBaseUser:
        # Named on synthetic cases; no role and no usable password, so it can never sign in.
        user, created = get_user_model().objects.get_or_create(username="synthetic-load-guardian")
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user

    def _organisations(self, n: int, departments: int) -> list[tuple[Organisation, list[int]]]:
        out = []
        for i in range(1, n + 1):
            org, _ = Organisation.objects.get_or_create(
                code=f"SYN{i:03d}", defaults={"name": f"Synthetic Placement Trust {i:03d}"}
            )
            for d in range(1, departments + 1):
                Department.objects.get_or_create(organisation=org, name=f"Department {d}")
            out.append((org, list(org.departments.values_list("pk", flat=True))))
        return out

    def batch(self, size: int, serial: int) -> None:
        """``size`` concerns from reference serial ``serial``, with everything they imply."""
        planned = [self._concern(serial + i) for i in range(size)]
        concerns = [concern for concern, _ in planned]
        for concern, pk in zip(concerns, _reserve_ids(Concern, len(concerns)), strict=True):
            concern.pk = pk
        _insert(Concern, concerns)
        cases = [self._case(concern, concern.raised_at) for concern in concerns]
        for case, pk in zip(cases, _reserve_ids(Case, len(cases)), strict=True):
            case.pk = pk
        _insert(Case, cases)
        categories = [
            Concern.categories.through(concern_id=c.pk, category_id=self.categories[slug].pk)
            for c, slugs in planned
            for slug in slugs
        ]
        standards = [
            Concern.standards.through(concern_id=c.pk, qualitystandard_id=standard_id)
            for c, slugs in planned
            for standard_id in {s for slug in slugs for s in self.implied[slug]}
        ]
        for through, rows in (
            (Concern.categories.through, categories),
            (Concern.standards.through, standards),
        ):
            for row, pk in zip(rows, _reserve_ids(through, len(rows)), strict=True):
                row.pk = pk
            _insert(through, rows)
        self._aftermath(cases)

    def _concern(self, serial: int) -> tuple[Concern, list[str]]:
        """One concern (not yet saved) and its category slugs."""
        rng, blank = self.rng, self.tokens["blank"]
        org, departments = self.orgs[rng.randrange(len(self.orgs))]
        raised = self.now - self.span * rng.random()
        route = _pick(rng, ROUTES)
        slugs = [s for s, p in CATEGORY_SHARE.items() if rng.random() < p] or ["other"]
        concern = Concern(
            reference=f"SU-{raised.year}-S{serial:07d}",
            organisation=org,
            department_id=rng.choice(departments) if rng.random() < 0.8 else None,
            route=route,
            reporter_role=_pick(rng, ROLES),
            professional_group=_pick(rng, GROUPS),
            description=self.tokens["description"],
            outcome_hoped=blank,
            reporter_name=blank,
            reporter_contact=blank,
            # Random and unusable: no receipt code hashes to this shape.
            receipt_hash=f"synthetic-{uuid.uuid4().hex}" if route == "anonymous" else None,
            raised_at=raised,
        )
        return concern, slugs

    def _case(self, concern: Concern, raised: dt.datetime) -> Case:
        blank = self.tokens["blank"]
        ack_due = timeliness.acknowledge_due(raised)
        fields = {
            "concern": concern,
            "reference": concern.reference,
            "organisation_id": concern.organisation_id,
            "route": concern.route,
            "raised_at": raised,
            "last_activity_at": raised,
            "acknowledge_due_at": ack_due,
            "due_kind": DueKind.ACKNOWLEDGE,
            "due_at": ack_due,
            "referral_reason": blank,
            "reopen_reason": blank,
            "status": Status.RECEIVED,
        }
        self._progress(fields, raised, (self.now - raised).days)
        # The status goes in once, at construction: the FSM field is protected.
        return Case(**fields)

    def _progress(self, f: dict[str, Any], raised: dt.datetime, age: int) -> None:
        rng = self.rng
        ack_days = rng.choice((0, 0, 1, 1, 1, 2, 2, 3, 5))
        if age <= ack_days or rng.random() < 0.01:
            return  # still received
        acked = raised + dt.timedelta(days=ack_days, hours=rng.randrange(1, 8))
        feedback_due = timeliness.feedback_due(acked)
        f.update(
            assigned_guardian=self.guardian,
            acknowledged_at=acked,
            feedback_due_at=feedback_due,
            status=Status.ACKNOWLEDGED,
            due_kind=DueKind.FEEDBACK,
            due_at=feedback_due,
        )
        x = rng.random()
        if x < 0.12:
            status = Status.REFERRED if x < 0.08 else Status.WITHDRAWN
            days = min(age, ack_days + int(rng.triangular(1, 40, 5)))
            f.update(status=status, closed_at=raised + dt.timedelta(days=days))
            f.update(due_kind=DueKind.NONE, due_at=None)
            if status == Status.REFERRED:
                f["referral_destination"] = rng.choice(ReferralDestination.values)
            return
        feedback_days = ack_days + int(rng.triangular(3, 120, 30))
        if age <= feedback_days:
            f["status"] = Status.INVESTIGATING
            return
        f.update(
            first_feedback_at=raised + dt.timedelta(days=feedback_days, hours=3),
            status=Status.FEEDBACK_GIVEN,
            due_kind=DueKind.NONE,
            due_at=None,
        )
        close_days = feedback_days + int(rng.triangular(0, 60, 7))
        if age > close_days:
            f.update(status=Status.CLOSED, closed_at=raised + dt.timedelta(days=close_days))

    def _aftermath(self, cases: list[Case]) -> None:
        rng = self.rng
        blank, outcomes, answers, harms = self.tokens["blank"], [], [], []
        for case in cases:
            if case.status == Status.CLOSED:
                outcomes.append(
                    Outcome(
                        case_id=case.pk,
                        upheld=_pick(rng, UPHELD),
                        findings=self.findings,
                        actions=blank,
                        lessons=blank,
                        recorded_by=self.guardian,
                        recorded_at=case.closed_at,
                    )
                )
                if rng.random() < 0.4:
                    answers.append(
                        SpeakUpAgainResponse(
                            case_id=case.pk,
                            answer=_pick(rng, AGAIN),
                            comment=blank,
                            answered_at=case.closed_at,
                        )
                    )
            if case.status != Status.RECEIVED and rng.random() < DETRIMENT:
                harms.append(
                    Detriment(
                        case_id=case.pk,
                        suffered="yes",
                        source="guardian",
                        note=blank,
                        recorded_at=case.acknowledged_at,
                    )
                )
        for model, rows in (
            (Outcome, outcomes),
            (SpeakUpAgainResponse, answers),
            (Detriment, harms),
        ):
            for row, pk in zip(rows, _reserve_ids(model, len(rows)), strict=True):
                row.pk = pk
            _insert(model, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--organisations", type=int, default=40)
    parser.add_argument("--departments", type=int, default=6)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-rollups", action="store_true")
    parser.add_argument("--serial-from", type=int, default=0, help="first reference serial")
    parser.add_argument("--force", action="store_true", help="add to non-synthetic concerns")
    args = parser.parse_args(argv)
    load = Load(
        count=args.count,
        organisations=args.organisations,
        departments=args.departments,
        years=args.years,
        batch=args.batch,
        seed=args.seed,
        rollups=not args.no_rollups,
        serial_from=args.serial_from,
    )
    try:
        generate_concerns(load=load, force=args.force)
    except Refused as refused:
        print(f"Refused: {refused}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
