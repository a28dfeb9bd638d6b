"""One receipt budget, shared by the page and the API, that guessers cannot dodge by forging
X-Forwarded-For, and cannot turn against a reporter who holds the right code (issue 13).

The adversary: a client (or a botnet behind a proxy we trust) sending receipt-code guesses
to /receipt/ and /api/v1/anonymous/sessions/ with a different X-Forwarded-For each time.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import replace
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from concerns import receipts
from concerns.models import Concern
from config.proxies import client_address, parse_networks
from config.rules import ReceiptPolicy
from tests.factories import raise_concern

pytestmark = pytest.mark.django_db

PAGE, API = "/receipt/", "/api/v1/anonymous/sessions/"
PEER, PROXY = "198.51.100.20", "10.1.0.5"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def a_guess() -> str:
    """A well-formed code this service never issued (its check characters are wrong)."""
    code = receipts.receipt_generate()
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def page(code: str, *, peer: str = PEER, forwarded: str = "") -> int:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return Client(REMOTE_ADDR=peer).post(PAGE, {"code": code}, **extra).status_code


def api(code: str, *, peer: str = PEER, forwarded: str = "") -> int:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    client = APIClient(REMOTE_ADDR=peer)
    return client.post(API, {"receipt_code": code}, format="json", **extra).status_code


def limits(settings, *, client: int, everyone: int) -> None:
    settings.SPEAKUP_RECEIPTS = replace(
        settings.SPEAKUP_RECEIPTS,
        attempts_per_client_per_hour=client,
        attempts_global_per_minute=everyone,
    )


# --- the figures --------------------------------------------------------------------------


def test_the_budget_in_code_is_the_budget_the_readme_states():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    stated = re.search(r"(\d+) guesses an hour per client and (\d+) a minute in all", readme)
    assert stated, "the README states the receipt budget"
    policy = ReceiptPolicy()
    assert (policy.attempts_per_client_per_hour, policy.attempts_global_per_minute) == (10, 120)
    assert tuple(map(int, stated.groups())) == (10, 120)


def test_page_and_api_spend_one_budget_per_client(org):
    # Given the default budget of 10 guesses an hour per client
    raised = raise_concern(org, route="anonymous")

    # When one client guesses 5 times on the page and 5 times through the API
    first = [page(a_guess()) for _ in range(5)] + [api(a_guess()) for _ in range(5)]

    # Then its 11th guess is refused by either door (not 20 guesses, as with two budgets)
    assert first == [200] * 5 + [404] * 5
    assert page(a_guess()) == 429
    assert api(a_guess()) == 429
    # while the reporter's right code, even from that address, still gets in
    assert api(raised.receipt_code) == 201
    assert page(raised.receipt_code) == 302


def test_page_and_api_spend_one_global_budget(org, settings):
    limits(settings, client=100, everyone=6)
    raised = raise_concern(org, route="anonymous")

    spent = [page(a_guess(), peer=f"192.0.2.{n}") for n in range(3)]
    spent += [api(a_guess(), peer=f"192.0.2.{n + 10}") for n in range(3)]

    assert spent == [200] * 3 + [404] * 3
    assert page(a_guess(), peer="203.0.113.1") == 429
    assert api(a_guess(), peer="203.0.113.2") == 429
    assert api(raised.receipt_code, peer="203.0.113.3") == 201


# --- X-Forwarded-For ----------------------------------------------------------------------


@pytest.mark.parametrize("door", [page, api])
def test_a_rotating_forwarded_for_from_an_untrusted_peer_changes_nothing(door, org, settings):
    # Given no trusted proxy (the default), a peer that forges a new X-Forwarded-For each time
    settings.SPEAKUP_TRUSTED_PROXY_ADDRESSES = ()
    raised = raise_concern(org, route="anonymous")
    wrong = 200 if door is page else 404

    answers = [door(a_guess(), forwarded=f"203.0.113.{n}") for n in range(12)]

    # Then it is one client with one budget: the 11th guess on is refused
    assert answers == [wrong] * 10 + [429, 429]
    # and the real reporter, whatever the peer claims to be forwarding, is let in
    ok = 302 if door is page else 201
    assert door(raised.receipt_code, forwarded="203.0.113.99") == ok


def test_a_forwarded_for_from_a_trusted_proxy_names_the_client(org, settings):
    # Given our reverse proxy, each of two clients behind it guessing through it
    settings.SPEAKUP_TRUSTED_PROXY_ADDRESSES = ("10.1.0.0/24",)
    limits(settings, client=2, everyone=100)

    a = [page(a_guess(), peer=PROXY, forwarded="198.51.100.1") for _ in range(3)]
    b = [api(a_guess(), peer=PROXY, forwarded="198.51.100.2") for _ in range(2)]

    # Then each has its own budget (the proxy's address is not shared by all)
    assert a == [200, 200, 429]
    assert b == [404, 404]
    # and a hop the client put in front of the proxy's entry is not believed
    assert page(a_guess(), peer=PROXY, forwarded="203.0.113.7, 198.51.100.1") == 429


def test_a_botnet_behind_a_trusted_proxy_cannot_lock_a_reporter_out(org, settings):
    # Given a trusted proxy, and guessers behind it with a new address for every guess
    settings.SPEAKUP_TRUSTED_PROXY_ADDRESSES = ("10.1.0.0/24",)
    limits(settings, client=10, everyone=8)
    raised = raise_concern(org, route="anonymous")

    answers = [
        (page if n % 2 else api)(a_guess(), peer=PROXY, forwarded=f"203.0.113.{n}")
        for n in range(12)
    ]

    # Then the global budget holds them to 8 checked guesses a minute
    assert answers[:8] == [404, 200] * 4
    assert answers[8:] == [429] * 4
    # and the real reporter behind the same proxy still gets in, on either door
    assert page(raised.receipt_code, peer=PROXY, forwarded="198.51.100.50") == 302
    assert api(raised.receipt_code, peer=PROXY, forwarded="198.51.100.51") == 201


def test_a_wrong_guess_costs_no_slow_hash(org, monkeypatch):
    raise_concern(org, route="anonymous")
    calls = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(receipts.hashlib, "scrypt", counting)
    assert [api(a_guess()) for _ in range(3)] == [404] * 3
    assert calls == []


def test_a_code_issued_before_the_check_still_opens_its_concern(org, settings):
    # Given a concern whose code has no check characters (issued before issue 13)
    raised = raise_concern(org, route="anonymous")
    legacy = receipts.receipt_generate().replace("-", "")[:20]
    Concern.objects.filter(pk=raised.concern.pk).update(receipt_hash=receipts.receipt_hash(legacy))

    assert api(legacy) == 201
    assert page(legacy) == 302


# --- the pre-check and the address rules ----------------------------------------------------


def test_only_issued_codes_pass_the_precheck():
    issued = [receipts.receipt_generate() for _ in range(200)]
    assert all(receipts.receipt_precheck(c) for c in issued)
    assert all(receipts.receipt_precheck(c.lower().replace("-", " ")) for c in issued)
    # a guesser: random 24-character codes pass about once in a million
    guesses = ["".join(secrets.choice(receipts.ALPHABET) for _ in range(24)) for _ in range(20000)]
    assert sum(receipts.receipt_precheck(g) for g in guesses) <= 2
    assert not receipts.receipt_precheck(receipts.receipt_generate().replace("-", "")[:20])
    assert not receipts.receipt_precheck("not a code")


def test_the_precheck_is_keyed_with_the_pepper(settings):
    code = receipts.receipt_generate()
    settings.SPEAKUP_PEPPER = "another-pepper"
    assert not receipts.receipt_precheck(code)


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "client"),
    [
        ((), "198.51.100.1", "203.0.113.5", "198.51.100.1"),
        (("10.0.0.0/8",), "198.51.100.1", "203.0.113.5", "198.51.100.1"),
        (("10.0.0.0/8",), "10.2.3.4", "203.0.113.5", "203.0.113.5"),
        (("10.0.0.0/8",), "10.2.3.4", "203.0.113.9, 203.0.113.5", "203.0.113.5"),
        (("10.0.0.0/8",), "10.2.3.4", "203.0.113.5, 10.9.9.9", "203.0.113.5"),
        (("10.0.0.0/8",), "10.2.3.4", "10.7.7.7, 10.9.9.9", "10.7.7.7"),
        (("10.0.0.0/8",), "10.2.3.4", "", "10.2.3.4"),
        (("10.0.0.0/8",), "10.2.3.4", "garbage", "garbage"),
        (("10.0.0.0/8",), "::ffff:10.2.3.4", "203.0.113.5", "203.0.113.5"),
        (("2001:db8::/32",), "2001:db8::1", "2001:db8:1::9, 2606:4700::1", "2606:4700::1"),
        (("2001:db8::/32",), "203.0.113.1", "2606:4700::1", "203.0.113.1"),
    ],
)
def test_the_client_address(settings, trusted, peer, forwarded, client):
    settings.SPEAKUP_TRUSTED_PROXY_ADDRESSES = trusted
    meta = {"REMOTE_ADDR": peer, "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_address(meta) == client


def test_a_bad_trusted_proxy_address_is_refused_at_start():
    assert [str(n) for n in parse_networks(["10.0.0.1", " 192.168.0.0/16 "])] == [
        "10.0.0.1/32",
        "192.168.0.0/16",
    ]
    with pytest.raises(ValueError, match=r"10\.0\.0\.300"):
        parse_networks(["10.0.0.300"])


def test_the_api_throttles_ignore_a_forged_forwarded_for_too(settings, db):
    # Given a sign-in limit of 2 an hour, and no trusted proxy
    from tests.api.conftest import rates_override

    rates_override(settings, token_client="2/hour")
    body = {"username": "nobody", "password": "wrong-password"}

    # When one peer tries three times, claiming a new address each time
    statuses = [
        APIClient(REMOTE_ADDR=PEER)
        .post("/api/v1/auth/token/", body, format="json", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        .status_code
        for n in range(3)
    ]

    # Then it is one client: the third is refused
    assert statuses == [400, 400, 429]


def test_page_and_api_share_the_anonymous_raising_budget(org, settings):
    from concerns.models import Category

    settings.SPEAKUP_RECEIPTS = replace(
        settings.SPEAKUP_RECEIPTS, anonymous_raises_per_client_per_hour=2
    )
    form = {
        "organisation": org.pk,
        "categories": [Category.objects.get(slug="patient-safety").pk],
        "description": "The night rota leaves the ward without a registrar.",
        "raised_elsewhere": "no",
        "reporter_role": "learner",
        "professional_group": "nursing_midwifery",
        "route": "anonymous",
    }
    body = {
        "organisation": org.code,
        "categories": ["patient-safety"],
        "description": "The night rota leaves the ward without a registrar.",
        "route": "anonymous",
    }

    def by_api(n: int) -> int:
        client = APIClient(REMOTE_ADDR=PEER)
        forged = {"HTTP_X_FORWARDED_FOR": f"203.0.113.{n}"}
        return client.post("/api/v1/concerns/", body, format="json", **forged).status_code

    assert Client(REMOTE_ADDR=PEER).post("/raise/", form).status_code == 302
    assert by_api(1) == 201
    assert by_api(2) == 429
    assert Client(REMOTE_ADDR=PEER).post("/raise/", form).status_code == 429
    assert Concern.objects.count() == 2
