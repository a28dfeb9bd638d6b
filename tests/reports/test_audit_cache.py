"""The family's audit is shared by every process through the cache: what is kept, how it
is keyed, and that a bad or missing cache never changes a figure."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import override_settings

from reports import family as F
from reports.disclosure import Disclosure

FY = 2024
APRIL = F.month_key(dt.date(2024, 4, 1))


def _exact() -> tuple:
    """One organisation, one month (so its quarter and year): a total of 22 shown as 20
    over open 8 (10), confidential 13 (15) and anonymous 1 (*): the * is pinned to 1 unless
    something else is withheld."""
    exact = {}
    for period in (APRIL, F.quarter_key(FY, 1), F.year_key(FY)):
        for (dimension, value), n in {
            ("total", ""): 22,
            ("route", "open"): 8,
            ("route", "confidential"): 13,
            ("route", "anonymous"): 1,
        }.items():
            exact[(period, 1, dimension, value)] = n
    return tuple(sorted(exact.items(), key=repr))


@pytest.fixture(autouse=True)
def _fresh():
    F._audited.cache_clear()
    cache.delete(F._audit_cache_key((1,), FY, _exact(), Disclosure()))
    yield
    F._audited.cache_clear()
    cache.delete(F._audit_cache_key((1,), FY, _exact(), Disclosure()))


def _sealed(key, withheld):
    """A poisoned answer sealed as ours (what the cells themselves are checked for)."""
    if not isinstance(withheld, list):
        return withheld
    return _answer(key, withheld)


def _answer(key, withheld, *, apart=0, exactly=True):
    """An answer in the kept format, sealed with this deployment's key."""
    seal = F._seal(key, [apart, exactly, *withheld])
    return {"withheld": withheld, "apart": apart, "exactly": exactly, "seal": seal}


def _withheld(family) -> set:
    return {key for key, cell in family.cells.items() if cell.withheld}


def test_a_second_process_reads_the_audit_instead_of_repeating_it(monkeypatch):
    first = F._disclose((1,), FY, _exact(), Disclosure())
    assert _withheld(first), "the example must need secondary suppression"
    F._audited.cache_clear()  # another process: nothing in its memory

    def no_audit(*args, **kwargs):
        raise AssertionError("audited again")

    monkeypatch.setattr(F, "protect", no_audit)
    second = F._disclose((1,), FY, _exact(), Disclosure())
    assert second.cells == first.cells
    assert list(second.cells) == list(first.cells)


def test_the_cache_key_is_a_keyed_hash_and_the_value_only_the_withheld_cells():
    family = F._disclose((1,), FY, _exact(), Disclosure())
    key = F._audit_cache_key((1,), FY, _exact(), Disclosure())
    assert key.startswith("reports:audit:") and len(key) == len("reports:audit:") + 64
    assert set(key.removeprefix("reports:audit:")) <= set("0123456789abcdef")
    with override_settings(SECRET_KEY="another-secret-key-entirely"):
        assert F._audit_cache_key((1,), FY, _exact(), Disclosure()) != key
    stored = cache.get(key)
    assert set(stored) == {"withheld", "apart", "exactly", "seal"}
    assert stored["exactly"] is True  # a family the request's integer program checks
    assert set(stored["withheld"]) == _withheld(family)
    assert all(family.cells[k].withheld for k in stored["withheld"])


def test_a_sealed_answer_is_read_without_the_integer_program_again(monkeypatch):
    first = F._disclose((1,), FY, _exact(), Disclosure())
    F._audited.cache_clear()

    def no_program(*args, **kwargs):
        raise AssertionError("the integer program ran again")

    monkeypatch.setattr("reports.protection.pinned", no_program)
    assert F._disclose((1,), FY, _exact(), Disclosure()).cells == first.cells


def test_an_answer_sealed_by_anyone_else_is_not_used():
    honest = F._disclose((1,), FY, _exact(), Disclosure())
    F._audited.cache_clear()
    key = F._audit_cache_key((1,), FY, _exact(), Disclosure())
    with override_settings(SECRET_KEY="another-secret-key-entirely"):
        forged = _answer(key, [])  # nothing withheld
    cache.set(key, forged)
    again = F._disclose((1,), FY, _exact(), Disclosure())
    assert again.cells == honest.cells and _withheld(again)


def test_a_sealed_answer_that_would_pin_a_star_is_still_not_used():
    # (the seal is ours, as if the audit had a bug or the key leaked: propagation still checks)
    honest = F._disclose((1,), FY, _exact(), Disclosure())
    F._audited.cache_clear()
    key = F._audit_cache_key((1,), FY, _exact(), Disclosure())
    cache.set(key, _answer(key, []))
    again = F._disclose((1,), FY, _exact(), Disclosure())
    assert again.cells == honest.cells and _withheld(again)


@pytest.mark.parametrize(
    "poison",
    [
        [("nowhere", 1, "total", "")],  # not a cell of the family
        [(APRIL, 1, "route", "anonymous")],  # a *, never a withheld figure
        "not a list",
        {"withheld": [], "seal": "0" * 64},  # a seal that is not ours
        {"withheld": "not a list", "seal": "0" * 64},
        {"withheld": [], "apart": "yes", "seal": "0" * 64},  # not a level
        {"withheld": [], "apart": 0, "exactly": 1, "seal": "0" * 64},  # not a flag
    ],
)
def test_a_cached_answer_that_cannot_be_the_audits_is_not_used(poison):
    honest = F._disclose((1,), FY, _exact(), Disclosure())
    F._audited.cache_clear()
    key = F._audit_cache_key((1,), FY, _exact(), Disclosure())
    cache.set(key, poison if isinstance(poison, dict) else _sealed(key, poison))
    again = F._disclose((1,), FY, _exact(), Disclosure())
    assert again.cells == honest.cells


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
)
def test_a_cache_that_is_down_costs_an_audit_never_the_page():
    with pytest.raises(Exception, match=r"(?i)connect"):
        cache.get("anything")  # the cache really is down
    family = F._disclose((1,), FY, _exact(), Disclosure())
    assert _withheld(family)


def test_the_workers_audit_has_a_queue_of_its_own_that_the_production_topology_serves(settings):
    # (minutes each: deliveries on the default queue never wait behind one)
    from pathlib import Path

    from config.celery import app

    audits, default = settings.CELERY_AUDIT_QUEUE, settings.CELERY_TASK_DEFAULT_QUEUE
    assert app.amqp.router.route({}, "reports.tasks.audit_family")["queue"].name == audits
    assert app.amqp.router.route({}, "reports.tasks.refresh_stale_rollups")["queue"].name == default
    # a worker started without --queues takes both
    assert {audits, default} <= set(app.amqp.queues)
    procfile = (Path(settings.BASE_DIR) / "deploy" / "Procfile").read_text()
    lines = dict(line.split(": ", 1) for line in procfile.splitlines() if " exec " in line)
    assert '--queues "${CELERY_QUEUE:-speakup}"' in lines["worker"]
    assert '--queues "${CELERY_QUEUE:-speakup}-audits"' in lines["audit"]
    # (and never answers the readiness ping, which asks for the deliveries' worker)
    assert lines["audit"].startswith("CELERY_REMOTE_CONTROL=0 exec ")
