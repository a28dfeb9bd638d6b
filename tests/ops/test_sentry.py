"""The Sentry scrubber keeps the bug and drops the person: no body, query, header, cookie,
user, address, local variable or exception message survives."""

from __future__ import annotations

import json

from ops.sentry import scrub_breadcrumb, scrub_event

SECRETS = [
    "203.0.113.77",
    "UniqueAgent-h19",
    "sessionid=abc123secret",
    "csrftoken=tok456",
    "SU-2026-00042",
    "ABCD-EFGH-JKMN-PQRS-TVWX",
    "rita@example.org",
    "Rita Reporter",
    "The night rota leaves",
]


def django_event() -> dict:
    """The shape of an event sentry-sdk's Django integration sends for a failed request."""
    return {
        "event_id": "e1",
        "level": "error",
        "platform": "python",
        "transaction": "/api/v1/concerns/{reference}/",
        "transaction_info": {"source": "route"},
        "request": {
            "url": "https://speakup.example/api/v1/concerns/SU-2026-00042/",
            "method": "POST",
            "query_string": "receipt=ABCD-EFGH-JKMN-PQRS-TVWX",
            "data": {"description": "The night rota leaves", "contact": "rita@example.org"},
            "cookies": {"sessionid": "sessionid=abc123secret", "csrftoken": "csrftoken=tok456"},
            "headers": {
                "User-Agent": "Mozilla UniqueAgent-h19",
                "X-Forwarded-For": "203.0.113.77",
                "Cookie": "sessionid=abc123secret; csrftoken=tok456",
                "Authorization": "Receipt ABCD-EFGH-JKMN-PQRS-TVWX",
            },
            "env": {"REMOTE_ADDR": "203.0.113.77", "SERVER_NAME": "speakup"},
        },
        "user": {
            "id": 7,
            "username": "rita",
            "email": "rita@example.org",
            "ip_address": "203.0.113.77",
        },
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": "bad contact rita@example.org for SU-2026-00042",
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "concern_raise",
                                "lineno": 10,
                                "vars": {"name": "Rita Reporter", "ip": "203.0.113.77"},
                            }
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": {"values": [{"message": "SELECT ... 'Rita Reporter'"}]},
        "extra": {"sys.argv": ["manage.py"], "contact": "rita@example.org"},
        "contexts": {"runtime": {"name": "CPython"}, "response": {"status_code": 500}},
        "tags": {"url": "https://speakup.example/raise/", "client_ip": "203.0.113.77"},
        "server_name": "web-1",
    }


def test_nothing_personal_survives():
    scrubbed = scrub_event(django_event())
    text = json.dumps(scrubbed)
    for secret in SECRETS:
        assert secret not in text, secret


def test_what_helps_find_the_bug_is_kept():
    scrubbed = scrub_event(django_event())
    assert scrubbed["request"] == {"method": "POST"}
    assert scrubbed["transaction"] == "/api/v1/concerns/{reference}/"
    (exc,) = scrubbed["exception"]["values"]
    assert exc["type"] == "ValueError"
    assert exc["stacktrace"]["frames"][0] == {"function": "concern_raise", "lineno": 10}
    assert scrubbed["contexts"] == {"runtime": {"name": "CPython"}}


def test_a_concrete_url_as_transaction_is_dropped():
    event = django_event()
    event["transaction"] = "/raise/sent/SU-2026-00042/"
    event["transaction_info"] = {"source": "url"}
    assert "transaction" not in scrub_event(event)


def test_breadcrumbs_keep_only_their_category():
    crumb = {
        "category": "query",
        "message": "SELECT name FROM concerns WHERE name = 'Rita Reporter'",
        "data": {"params": ["203.0.113.77"]},
        "level": "info",
    }
    assert scrub_breadcrumb(crumb) == {"category": "query", "level": "info"}


def test_sentry_is_off_without_a_dsn(monkeypatch):
    from ops.sentry import init_from_env

    monkeypatch.delenv("SENTRY_DSN", raising=False)
    assert init_from_env() is False


def test_sentry_starts_with_pii_off_and_the_scrubber(monkeypatch):
    import sentry_sdk

    from ops.sentry import init_from_env

    monkeypatch.setenv("SENTRY_DSN", "https://public@sentry.invalid/1")
    try:
        assert init_from_env() is True
        options = sentry_sdk.get_client().options
        assert options["send_default_pii"] is False
        assert options["include_local_variables"] is False
        assert options["before_send"] is scrub_event
        assert options["before_breadcrumb"] is scrub_breadcrumb
    finally:
        sentry_sdk.init()  # no DSN: a client that sends nothing
