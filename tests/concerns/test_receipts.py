"""Anonymous receipt codes: strong, readable, forgiving to type, never stored."""

from __future__ import annotations

import math

import pytest
from django.apps import apps
from django.db import connection

from concerns import receipts
from concerns.crypto import encrypted_fields
from concerns.models import Concern
from tests.factories import case_in_state, raise_concern
from workflow import selectors


def test_a_code_has_at_least_80_bits_of_entropy_in_readable_groups(settings):
    code = receipts.receipt_generate()
    groups = code.split("-")
    # (20 random characters, then 4 check characters since issue 13)
    assert [len(g) for g in groups] == [4, 4, 4, 4, 4, 4]
    raw = "".join(groups)[:20]
    assert set(raw) <= set(receipts.ALPHABET)
    assert len(receipts.ALPHABET) == 32
    assert len(raw) * math.log2(len(receipts.ALPHABET)) >= 80


def test_codes_do_not_repeat_and_use_the_whole_alphabet():
    codes = [receipts.receipt_generate() for _ in range(500)]
    assert len(set(codes)) == 500
    assert set("".join(codes).replace("-", "")) == set(receipts.ALPHABET)


def test_the_alphabet_leaves_out_letters_people_confuse():
    assert not set("ILOU") & set(receipts.ALPHABET)


@pytest.mark.parametrize(
    "typed",
    [
        "abcd-efgh-jkmn-pqrs-tvwx",
        "ABCD EFGH JKMN PQRS TVWX",
        "  abcdefghjkmnpqrstvwx ",
        "ABCD-EFGH-JKMN-PQRS-TVWX\n",
    ],
)
def test_what_a_person_types_is_normalised(typed):
    assert receipts.receipt_normalise(typed) == "ABCDEFGHJKMNPQRSTVWX"


def test_look_alike_letters_are_read_as_the_digits_they_resemble():
    assert receipts.receipt_normalise("OOOO-IIII-LLLL-0000-1111") == "00001111111100001111"


@pytest.mark.parametrize(
    "typed", ["", "ABCD-EFGH", "ABCD-EFGH-JKMN-PQRS-TVWXY", "ABCD-EFGH-JKMN-PQRS-TVW!", "é" * 20]
)
def test_malformed_codes_are_rejected_without_hashing(typed):
    assert receipts.receipt_normalise(typed) is None
    assert receipts.receipt_hash(typed) is None
    assert not receipts.receipt_matches(typed, "0" * 64)


def test_the_hash_is_deterministic_and_ignores_how_the_code_was_typed():
    code = receipts.receipt_generate()
    digest = receipts.receipt_hash(code)
    assert digest == receipts.receipt_hash(code.lower().replace("-", " "))
    assert len(digest) == 64
    assert receipts.receipt_matches(code, digest)
    assert not receipts.receipt_matches(receipts.receipt_generate(), digest)


def test_the_hash_is_keyed_with_the_server_pepper(settings):
    code = receipts.receipt_generate()
    settings.SPEAKUP_PEPPER = "pepper-one"
    first = receipts.receipt_hash(code)
    settings.SPEAKUP_PEPPER = "pepper-two"
    assert receipts.receipt_hash(code) != first


def test_the_hash_uses_the_configured_work_factor(settings):
    from dataclasses import replace

    code = receipts.receipt_generate()
    light = receipts.receipt_hash(code)
    settings.SPEAKUP_RECEIPTS = replace(settings.SPEAKUP_RECEIPTS, scrypt_n=2**11)
    assert receipts.receipt_hash(code) != light


def test_production_strength_is_the_default():
    from config.rules import ReceiptPolicy

    assert ReceiptPolicy().scrypt_n >= 2**14
    assert ReceiptPolicy().length * 5 >= 80


def _every_stored_value() -> str:
    """Every column of every table, raw, plus every encrypted field decrypted."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.extend(repr(row) for row in cursor.fetchall())
    for model in apps.get_models():
        fields = encrypted_fields(model)
        if fields:
            chunks.extend(repr(row) for row in model._base_manager.values_list(*fields))
    return "\n".join(chunks)


def test_the_code_itself_is_never_stored(org, guardian):
    raised = raise_concern(org)
    case_in_state(raised.case, "closed", guardian=guardian)
    code = raised.receipt_code
    stored = _every_stored_value()
    assert code not in stored
    assert code.replace("-", "") not in stored
    concern = Concern.objects.get(pk=raised.concern.pk)
    assert concern.receipt_hash == receipts.receipt_hash(code)


def test_the_code_finds_its_case_and_nothing_else(org, reporter):
    raised = raise_concern(org)
    raise_concern(org)
    assert selectors.case_for_receipt(code=raised.receipt_code.lower()) == raised.case
    assert selectors.case_for_receipt(code=receipts.receipt_generate()) is None
    assert selectors.case_for_receipt(code="not a code") is None


def test_only_anonymous_concerns_get_a_code(org, reporter):
    raised = raise_concern(org, route="confidential", reporter=reporter)
    assert raised.receipt_code is None
    assert raised.concern.receipt_hash is None
