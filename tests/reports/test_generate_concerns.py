"""benchmarks/generate_concerns.py refuses databases synthetic load could harm."""

from __future__ import annotations

import pytest

from benchmarks.generate_concerns import (
    Load,
    Refused,
    database_is_disposable,
    generate_concerns,
    main,
    refusal,
)
from concerns.models import Concern
from tests.factories import raise_concern

SMALL = Load(count=20, organisations=1, departments=1, rollups=False)


def quiet(_: str) -> None:
    pass


@pytest.mark.parametrize(
    ("vendor", "name", "disposable"),
    [
        ("sqlite", "file:memorydb_default?mode=memory&cache=shared", True),
        ("sqlite", ":memory:", True),
        ("sqlite", "/srv/speakup/data/speakup.sqlite3", False),
        ("sqlite", "/tmp/x/test_speakup.sqlite3", True),
        ("sqlite", "/srv/benchmarks/speakup.sqlite3", False),  # the folder does not count
        ("postgresql", "speakup", False),
        ("postgresql", "speakup_prod", False),
        ("postgresql", "test_speakup", True),
        ("postgresql", "speakup_reports_bench", True),
        ("postgresql", "h14_soak", True),
        ("postgresql", "speakup-load", True),
        ("postgresql", "latest", False),  # "test" inside a word is no test database
        ("postgresql", "download", False),
    ],
)
def test_only_databases_named_for_tests_or_load_are_disposable(vendor, name, disposable):
    assert database_is_disposable(vendor=vendor, name=name) is disposable


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("disposable", [True, False])
@pytest.mark.parametrize("real_concerns", [True, False])
@pytest.mark.parametrize("force", [True, False])
def test_refusal_matrix(debug, disposable, real_concerns, force):
    reason = refusal(debug=debug, disposable=disposable, real_concerns=real_concerns, force=force)
    # DEBUG off needs a disposable database, whatever --force says
    must_refuse = (not debug and not disposable) or (real_concerns and not force)
    assert (reason is not None) is must_refuse


@pytest.mark.django_db
def test_a_database_with_a_real_concern_is_refused_unless_forced(org):
    # Given a real concern (a reference of the SU-YYYY-NNNNN shape)
    raise_concern(org)
    # When synthetic load is asked for, it is refused and nothing is written
    with pytest.raises(Refused, match="not synthetic"):
        generate_concerns(load=SMALL, say=quiet)
    assert Concern.objects.count() == 1
    assert main(["--count", "5", "--no-rollups", "--organisations", "1"]) == 2
    assert Concern.objects.count() == 1
    # and with force it goes ahead
    generate_concerns(load=SMALL, force=True, say=quiet)
    assert Concern.objects.count() == 21


@pytest.mark.django_db
def test_synthetic_concerns_alone_do_not_stop_a_second_run():
    generate_concerns(load=SMALL, say=quiet)
    second = Load(count=20, organisations=1, rollups=False, serial_from=20)
    generate_concerns(load=second, say=quiet)
    assert Concern.objects.count() == 40
