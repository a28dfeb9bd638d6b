"""Field encryption at rest with MultiFernet.

Keys come from ``settings.FIELD_ENCRYPTION_KEYS`` (newest first): the first encrypts, all
decrypt, so rotation is "put the new key first, then run rotate_encryption_keys".
Values are stored as Fernet tokens (authenticated, timestamped AES-128-CBC + HMAC-SHA256).
"""

from __future__ import annotations

import functools
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.db import models


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ValueError("FIELD_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def _reset(**kwargs: Any) -> None:
    if kwargs.get("setting") == "FIELD_ENCRYPTION_KEYS":
        _fernet.cache_clear()


setting_changed.connect(_reset)


def encrypt_bytes(data: bytes) -> bytes:
    return fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    return fernet().decrypt(token)


def rotate_token(token: bytes) -> bytes:
    return fernet().rotate(token)


class EncryptedTextField(models.TextField):
    """Text encrypted at rest; plaintext through the model, a Fernet token in the column."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt_bytes(str(value).encode()).decode("ascii")

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        try:
            return decrypt_bytes(value.encode("ascii")).decode()
        except InvalidToken as exc:  # a wrong or missing key must be loud, never silent
            raise InvalidToken(f"cannot decrypt {self.model.__name__}.{self.name}") from exc

    def get_lookup(self, lookup_name: str) -> Any:
        # Ciphertext cannot be compared or searched; only null checks make sense.
        if lookup_name not in {"isnull"}:
            raise NotImplementedError(f"{self.name} is encrypted: no '{lookup_name}' lookups")
        return super().get_lookup(lookup_name)


class EncryptedBinaryField(models.BinaryField):
    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None:
            return None
        return super().get_db_prep_value(encrypt_bytes(bytes(value)), connection, prepared)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> bytes | None:
        if value is None:
            return None
        try:
            return decrypt_bytes(bytes(value))
        except InvalidToken as exc:
            raise InvalidToken(f"cannot decrypt {self.model.__name__}.{self.name}") from exc


def encrypted_fields(model: type[models.Model]) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedTextField | EncryptedBinaryField)
    ]
