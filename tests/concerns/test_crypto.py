"""Encryption at rest: plaintext through the model, Fernet tokens in the database, rotation."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from concerns.crypto import encrypted_fields
from concerns.management.commands.rotate_encryption_keys import models_with_encrypted_fields
from concerns.models import Attachment, Concern, KeyRotationCheckpoint
from tests.factories import case_in_state, raise_concern
from workflow.events import case_log_verify
from workflow.models import CaseEvent
from workflow.services import handling

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _raw(table: str, column: str, pk: int):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        (value,) = cursor.fetchone()
    return bytes(value) if isinstance(value, memoryview) else value


@pytest.fixture
def old_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    return settings


@pytest.fixture
def concern(old_key, org):
    return raise_concern(org, description="The ward was unsafe on Tuesday night.").concern


@given(text=st.text(max_size=300), data=st.binary(max_size=2000))
@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_text_and_bytes_round_trip_through_the_database(concern, text, data):
    attachment = Attachment.objects.create(
        concern=concern, filename=text, content_type="application/pdf", size=len(data), data=data
    )
    fresh = Attachment.objects.get(pk=attachment.pk)
    assert fresh.filename == text
    assert bytes(fresh.data) == data
    raw_name = _raw("concerns_attachment", "filename", attachment.pk)
    raw_data = _raw("concerns_attachment", "data", attachment.pk)
    assert Fernet(OLD).decrypt(raw_name.encode()).decode() == text
    assert Fernet(OLD).decrypt(raw_data) == data


def test_the_database_holds_ciphertext_only(concern):
    raw = _raw("concerns_concern", "description", concern.pk)
    assert "unsafe" not in raw
    assert raw.startswith("gAAAAA")  # a Fernet token
    assert Concern.objects.get(pk=concern.pk).description == "The ward was unsafe on Tuesday night."


def test_the_same_text_encrypts_differently_each_time(old_key, org):
    a = raise_concern(org, description="same").concern
    b = raise_concern(org, description="same").concern
    assert _raw("concerns_concern", "description", a.pk) != _raw(
        "concerns_concern", "description", b.pk
    )


def test_a_wrong_key_fails_loudly(concern, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    with pytest.raises(InvalidToken, match=r"Concern\.description"):
        Concern.objects.get(pk=concern.pk)


def test_encrypted_fields_cannot_be_searched(concern):
    with pytest.raises(NotImplementedError):
        Concern.objects.filter(description__icontains="unsafe").exists()
    assert Concern.objects.filter(description__isnull=False).exists()


def test_encrypted_fields_are_listed_for_rotation():
    assert set(encrypted_fields(Concern)) == {
        "description",
        "outcome_hoped",
        "reporter_name",
        "reporter_contact",
    }
    assert set(encrypted_fields(Attachment)) == {"filename", "data"}
    assert encrypted_fields(CaseEvent) == ["note"]


# --- rotation -------------------------------------------------------------------------------


@pytest.fixture
def history(old_key, org, reporter, guardian):
    """Concerns, a conversation, an attachment and events, all written under the OLD key."""
    from workflow.services.raising import NewAttachment

    raised = raise_concern(
        org,
        route="confidential",
        reporter=reporter,
        reporter_name="Rita Reporter",
        attachments=[NewAttachment("rota.pdf", "application/pdf", b"%PDF-1.4 rota")],
    )
    case = case_in_state(raised.case, "closed", guardian=guardian)
    handling.case_note_add(case=case, actor=guardian, body="Spoke to the matron.")
    others = [raise_concern(org, description=f"Concern {i}").concern for i in range(4)]
    return raised.concern, case, others


def _under(key: str, token: str | bytes) -> bool:
    try:
        Fernet(key).decrypt(token.encode() if isinstance(token, str) else token)
    except InvalidToken:
        return False
    return True


def _all_tokens() -> list[str | bytes]:
    tokens = []
    for model in models_with_encrypted_fields():
        for name in encrypted_fields(model):
            column = model._meta.get_field(name).column
            for pk in model.objects.values_list("pk", flat=True):
                tokens.append(_raw(model._meta.db_table, column, pk))
    return tokens


def test_rotation_moves_everything_to_the_new_key(history, settings):
    concern, case, _ = history
    # Given a new key put first, the old one kept to read with
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    # When the command runs
    out = StringIO()
    call_command("rotate_encryption_keys", "--batch-size", "3", stdout=out)
    # Then every token in the database opens with the new key alone
    tokens = _all_tokens()
    assert len(tokens) > 30
    assert all(_under(NEW, t) for t in tokens)
    assert "newest key" in out.getvalue()
    assert not KeyRotationCheckpoint.objects.exists()
    # And with the old key removed, everything still reads
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    fresh = Concern.objects.get(pk=concern.pk)
    assert fresh.reporter_name == "Rita Reporter"
    assert bytes(fresh.attachments.get().data) == b"%PDF-1.4 rota"
    assert case.notes.get().body == "Spoke to the matron."
    # And the event chain, which hashes plaintext, is untouched
    assert case_log_verify(case=case) is None
    assert [e.note for e in CaseEvent.objects.filter(case=case)]  # decryptable


def test_a_stopped_rotation_resumes_where_it_left_off(history, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    # When the run stops after one batch of two
    out = StringIO()
    call_command("rotate_encryption_keys", "--batch-size", "2", "--max-batches", "1", stdout=out)
    assert "run again to resume" in out.getvalue()
    checkpoint = KeyRotationCheckpoint.objects.get()
    first_two = list(Attachment.objects.order_by("pk").values_list("pk", flat=True)[:2])
    assert checkpoint.label == "concerns.Attachment"
    assert checkpoint.last_pk == first_two[-1]
    # Then only that batch moved; the rest is still under the old key
    assert not all(_under(NEW, t) for t in _all_tokens())
    concern_tokens = [
        _raw("concerns_concern", "description", pk)
        for pk in Concern.objects.values_list("pk", flat=True)
    ]
    assert all(_under(OLD, t) for t in concern_tokens)
    # When it is run again, it carries on and finishes
    call_command("rotate_encryption_keys", "--batch-size", "2", stdout=StringIO())
    assert all(_under(NEW, t) for t in _all_tokens())
    assert not KeyRotationCheckpoint.objects.exists()


def test_restart_forgets_saved_progress(history, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    KeyRotationCheckpoint.objects.create(label="concerns.Concern", last_pk=10**9)
    call_command("rotate_encryption_keys", "--restart", stdout=StringIO())
    assert all(_under(NEW, t) for t in _all_tokens())


def test_without_restart_a_saved_checkpoint_is_honoured(history, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    KeyRotationCheckpoint.objects.create(label="concerns.Concern", last_pk=10**9)
    call_command("rotate_encryption_keys", stdout=StringIO())
    concern_pk = Concern.objects.values_list("pk", flat=True).first()
    assert _under(OLD, _raw("concerns_concern", "description", concern_pk))
