"""An older deployment's clear-text API tokens do not survive the upgrade."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_old_clear_token_table_is_dropped():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id int)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('0123456789abcdef', 1)")
    migration = importlib.import_module("accounts.migrations.0002_h15_drop_clear_tokens")

    with connection.schema_editor() as editor:
        migration._drop(None, editor)

    assert "authtoken_token" not in connection.introspection.table_names()
