"""Realistic synthetic load for reports and benchmarks: ``generate_concerns --count N``.

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
- anonymous concerns get random unique placeholder receipt hashes that no receipt code
  can ever match: synthetic concerns cannot be opened by anyone holding a receipt;
- references are SU-YYYY-Snnnnnnn (the S keeps them apart from real references);
- no case events are written, so ``verify_case_log`` will report these cases: load-test
  data only, never in a real database.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone

from concerns.crypto import EncryptedTextField, encrypt_bytes
from concerns.models import (
    Category,
    Concern,
    Department,
    Organisation,
)
from reports.services import ROLLUP_MODELS, rollups_rebuild, tables_analyze
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
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - our table
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + n))


def _insert(model: type[models.Model], objs: list[models.Model]) -> None:
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
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608


class Command(BaseCommand):
    help = "Insert N synthetic concerns (with cases and rollups) for load testing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--organisations", type=int, default=40)
        parser.add_argument("--departments", type=int, default=6)
        parser.add_argument("--years", type=float, default=3.0)
        parser.add_argument("--batch", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-rollups", action="store_true")
        parser.add_argument(
            "--serial-from",
            type=int,
            default=0,
            help="first reference serial (give parallel runs disjoint ranges)",
        )

    def handle(self, *args: object, **options: object) -> None:
        started = time.monotonic()
        rng = random.Random(options["seed"])
        orgs = self._organisations(options["organisations"], options["departments"])
        categories = {c.slug: c for c in Category.objects.prefetch_related("standards")}
        implied = {slug: [s.pk for s in c.standards.all()] for slug, c in categories.items()}
        self.tokens = {"description": _token(DESCRIPTION), "blank": _token("")}
        self.findings = _token("Synthetic outcome.")
        self.guardian = self._guardian()
        now = timezone.now()
        span = dt.timedelta(days=365.25 * options["years"])
        count, batch, serial = options["count"], options["batch"], 0
        offset = options["serial_from"]
        while serial < count:
            size = min(batch, count - serial)
            with transaction.atomic():
                self._batch(rng, size, offset + serial, orgs, categories, implied, now, span)
            serial += size
            if serial % (batch * 20) == 0 or serial == count:
                self.stdout.write(f"{serial} concerns in {time.monotonic() - started:.0f}s")
        generated = time.monotonic() - started
        loaded: list[type] = [Concern, Concern.categories.through, Concern.standards.through, Case]
        if not options["no_rollups"]:
            rollups_rebuild(organisation_ids=[o.pk for o, _ in orgs])
            loaded += ROLLUP_MODELS
        tables_analyze(loaded)
        rollups = "not rebuilt" if options["no_rollups"] else "rebuilt"
        self.stdout.write(
            f"Generated {count} concerns in {generated:.1f}s; rollups {rollups}; total "
            f"{time.monotonic() - started:.1f}s."
        )

    def _guardian(self):  # type: ignore[no-untyped-def]
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

    def _batch(self, rng, size, serial, orgs, categories, implied, now, span) -> None:
        blank, description = self.tokens["blank"], self.tokens["description"]
        concerns, plans = [], []
        for i in range(size):
            org, departments = orgs[rng.randrange(len(orgs))]
            raised = now - span * rng.random()
            route = _pick(rng, ROUTES)
            slugs = [s for s, p in CATEGORY_SHARE.items() if rng.random() < p] or ["other"]
            concerns.append(
                Concern(
                    reference=f"SU-{raised.year}-S{serial + i:07d}",
                    organisation=org,
                    department_id=rng.choice(departments) if rng.random() < 0.8 else None,
                    route=route,
                    reporter_role=_pick(rng, ROLES),
                    professional_group=_pick(rng, GROUPS),
                    description=description,
                    outcome_hoped=blank,
                    reporter_name=blank,
                    reporter_contact=blank,
                    # Random and unusable: no receipt code hashes to this shape.
                    receipt_hash=f"synthetic-{uuid.uuid4().hex}" if route == "anonymous" else None,
                    raised_at=raised,
                )
            )
            plans.append((slugs, raised))
        for concern, pk in zip(concerns, _reserve_ids(Concern, len(concerns)), strict=True):
            concern.pk = pk
        _insert(Concern, concerns)
        cases, links, standard_links = [], [], []
        for concern, (slugs, raised) in zip(concerns, plans, strict=True):
            cases.append(self._case(rng, concern, raised, now))
            for slug in slugs:
                links.append(
                    Concern.categories.through(
                        concern_id=concern.pk, category_id=categories[slug].pk
                    )
                )
            for standard_id in {s for slug in slugs for s in implied[slug]}:
                standard_links.append(
                    Concern.standards.through(concern_id=concern.pk, qualitystandard_id=standard_id)
                )
        for case, pk in zip(cases, _reserve_ids(Case, len(cases)), strict=True):
            case.pk = pk
        _insert(Case, cases)
        for through, rows in (
            (Concern.categories.through, links),
            (Concern.standards.through, standard_links),
        ):
            for row, pk in zip(rows, _reserve_ids(through, len(rows)), strict=True):
                row.pk = pk
            _insert(through, rows)
        self._aftermath(rng, cases)

    def _case(self, rng: random.Random, concern: Concern, raised: dt.datetime, now) -> Case:
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
        self._progress(rng, fields, raised, (now - raised).days)
        # The status goes in once, at construction: the FSM field is protected.
        return Case(**fields)

    def _progress(self, rng: random.Random, f: dict, raised: dt.datetime, age: int) -> None:
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

    def _aftermath(self, rng: random.Random, cases: list[Case]) -> None:
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
