"""Re-encrypt every encrypted field under the newest key, in batches, resumably.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (keeping the old ones after it), deploy,
run this command, and only once it has finished remove the old keys.

Ciphertext is read and written raw (cast to plain text/binary so the field does not decrypt it)
and re-encrypted with ``MultiFernet.rotate``: plaintext is never materialised, model ``save()``
rules are not involved (case events are append-only by ``save()``), and the case event chain,
which hashes plaintext, is untouched. Rows are locked while a batch is rewritten so that a
concurrent edit is never overwritten with older text. Progress is saved per model in
KeyRotationCheckpoint after each batch: a stopped run resumes where it left off.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models.functions import Cast

from concerns.crypto import EncryptedBinaryField, encrypted_fields, rotate_token
from concerns.models import KeyRotationCheckpoint

# Attachments hold up to 10 MB each: keep their batches small whatever --batch-size says.
BINARY_BATCH_LIMIT = 10


def models_with_encrypted_fields() -> list[type[models.Model]]:
    found = [m for m in apps.get_models() if encrypted_fields(m)]
    return sorted(found, key=lambda m: m._meta.label)


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field under the newest FIELD_ENCRYPTION_KEYS key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--restart", action="store_true", help="Forget saved progress and start again"
        )
        parser.add_argument(
            "--max-batches",
            type=int,
            default=0,
            help="Stop after this many batches (e.g. to fit a maintenance window); "
            "run again to resume",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size, max_batches = options["batch_size"], options["max_batches"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if len(settings.FIELD_ENCRYPTION_KEYS) < 2:
            self.stdout.write(
                "Only one key is configured: rows are re-encrypted under that same key."
            )
        if options["restart"]:
            KeyRotationCheckpoint.objects.all().delete()
        done_batches = 0
        for model in models_with_encrypted_fields():
            label = model._meta.label
            checkpoint, _ = KeyRotationCheckpoint.objects.get_or_create(label=label)
            limit = batch_size
            if any(
                isinstance(model._meta.get_field(f), EncryptedBinaryField) for f in _fields(model)
            ):
                limit = min(batch_size, BINARY_BATCH_LIMIT)
            rotated = 0
            while True:
                if max_batches and done_batches >= max_batches:
                    self.stdout.write(
                        f"Stopped after {done_batches} batch(es); run again to resume."
                    )
                    return
                count, last_pk = self._rotate_batch(model, checkpoint, limit)
                if count == 0:
                    break
                rotated += count
                done_batches += 1
                checkpoint.last_pk = last_pk
            self.stdout.write(f"{label}: {rotated} row(s) re-encrypted")
        KeyRotationCheckpoint.objects.all().delete()
        self.stdout.write(self.style.SUCCESS("Every encrypted field is under the newest key."))

    @transaction.atomic
    def _rotate_batch(
        self, model: type[models.Model], checkpoint: KeyRotationCheckpoint, limit: int
    ) -> tuple[int, int]:
        fields = _fields(model)
        raw = {f"_raw_{name}": _raw(model, name) for name in fields}
        rows = list(
            model._base_manager.select_for_update()
            .filter(pk__gt=checkpoint.last_pk)
            .order_by("pk")
            .annotate(**raw)
            .values("pk", *raw)[:limit]
        )
        if not rows:
            return 0, checkpoint.last_pk
        objs = []
        for row in rows:
            obj = model(pk=row["pk"])
            for name in fields:
                token = row[f"_raw_{name}"]
                if token is not None:
                    setattr(obj, name, _rotated(model, name, token))
            objs.append(obj)
        for name in fields:
            with_value = [
                o for o, r in zip(objs, rows, strict=True) if r[f"_raw_{name}"] is not None
            ]
            if with_value:
                model._base_manager.bulk_update(with_value, [name])
        last_pk = rows[-1]["pk"]
        KeyRotationCheckpoint.objects.filter(pk=checkpoint.pk).update(last_pk=last_pk)
        return len(rows), last_pk


def _fields(model: type[models.Model]) -> list[str]:
    return encrypted_fields(model)


def _plain(model: type[models.Model], name: str) -> models.Field:
    """A field of the same column type that neither encrypts nor decrypts."""
    field = model._meta.get_field(name)
    return models.BinaryField() if isinstance(field, EncryptedBinaryField) else models.TextField()


def _raw(model: type[models.Model], name: str) -> Cast:
    return Cast(name, output_field=_plain(model, name))


def _rotated(model: type[models.Model], name: str, token: Any) -> models.Value:
    if isinstance(token, str):
        new: str | bytes = rotate_token(token.encode("ascii")).decode("ascii")
    else:
        new = rotate_token(bytes(token))
    return models.Value(new, output_field=_plain(model, name))
