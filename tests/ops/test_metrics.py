"""/metrics: Prometheus text, for the token or the listed networks only, with the service's
figures, and no reference, name, address or category in any label."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from concerns.roles import Role
from notifications.models import Channel, Delivery, Topic
from ops.rules import MetricsPolicy
from tests.factories import make_user, raise_concern
from workflow.models import Case

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-h19-0123456789"


@pytest.fixture(autouse=True)
def _metrics_token(settings):
    settings.SPEAKUP_METRICS = MetricsPolicy(token=TOKEN)


def scrape(client, **headers) -> tuple[int, str]:
    response = client.get("/metrics", **headers)
    return response.status_code, response.content.decode()


def value(text: str, name: str, labels: str = "") -> float:
    pattern = rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+-]+)$"
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"{name}{labels} not in metrics"
    return float(match.group(1))


def test_refused_without_the_token_or_an_allowed_address(client, settings):
    assert scrape(client)[0] == 403
    assert scrape(client, HTTP_AUTHORIZATION="Bearer wrong")[0] == 403
    assert scrape(client, HTTP_AUTHORIZATION=f"Token {TOKEN}")[0] == 403
    # nothing configured: nobody, not even loopback
    settings.SPEAKUP_METRICS = MetricsPolicy()
    assert scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")[0] == 403


def test_an_allowed_network_may_scrape(client, settings):
    settings.SPEAKUP_METRICS = MetricsPolicy(allow_networks=("10.0.0.0/8",))
    assert scrape(client, REMOTE_ADDR="10.1.2.3")[0] == 200
    assert scrape(client, REMOTE_ADDR="192.0.2.1")[0] == 403
    # X-Forwarded-For does not make a client an allowed one
    assert scrape(client, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.1.2.3")[0] == 403


def test_the_service_figures(client, org, settings):
    settings.SPEAKUP_ANONYMOUS_NOTIFY_DELAY = (0, 0)
    guardian = make_user(Role.GUARDIAN, org, username="gwen", email="gwen@example.org")
    raised = [raise_concern(org, route="anonymous") for _ in range(3)]
    raise_concern(org, route="open", reporter=make_user(Role.REPORTER, username="rory"))
    Case.objects.filter(pk=raised[0].case.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    Delivery.objects.create(
        key="old",
        recipient=guardian,
        channel=Channel.EMAIL,
        topic=Topic.NEW_CASE,
        not_before=timezone.now() - dt.timedelta(seconds=120),
        attempts=2,
    )
    client.get("/")  # one request to count
    status, text = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert status == 200
    assert value(text, "speakup_cases_open", '{route="anonymous",status="received"}') == 3
    assert value(text, "speakup_cases_open", '{route="open",status="received"}') == 1
    assert value(text, "speakup_cases_overdue") == 1
    assert value(text, "speakup_outbox_backlog") >= 1
    assert value(text, "speakup_outbox_oldest_age_seconds") >= 120
    assert value(text, "speakup_deliveries_failing") == 1
    assert value(text, "speakup_delivery_failures_total") == 2
    assert (
        value(text, "speakup_http_requests_total", '{method="GET",route="home",status="200"}') >= 1
    )


def test_no_label_names_a_concern(client, org, settings):
    # given anonymous concerns in a distinctively named organisation and category, and
    # requests to their reporter-side and staff-side URLs
    settings.SPEAKUP_ANONYMOUS_NOTIFY_DELAY = (0, 0)
    org.name = "Zebrafield Placement Trust"
    org.save()
    raised = [
        raise_concern(org, route="anonymous", categories=("bullying-harassment",)) for _ in range(2)
    ]
    references = [r.case.reference for r in raised]
    for ref in references:
        client.get(f"/api/v1/concerns/{ref}/")
        client.get(f"/api/v1/cases/{ref}/")
        client.get(f"/raise/sent/{ref}/")
    client.get("/no-such-page/SU-2026-99999/")
    # when scraped
    status, text = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert status == 200
    labels = " ".join(re.findall(r"\{[^}]*\}", text))
    # then no label value holds a reference, the organisation, a category, an address
    for forbidden in [*references, "SU-2026", org.code, "Zebrafield", "bullying", "127.0.0.1"]:
        assert forbidden not in labels, forbidden
    # and every route label is a route name (no slashes: never a path)
    routes = set(re.findall(r'route="([^"]*)"', text))
    assert routes and not any("/" in r for r in routes)


def test_with_the_database_down_the_request_figures_still_answer(client, settings, monkeypatch):
    # given the figures' read failing as it does with the database down (a unit test of the
    # collector: the request figures live in the process, not in the database)
    from django.db import DatabaseError

    from ops import selectors

    def refuse(**kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(selectors, "service_figures", refuse)
    status, text = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert status == 200
    assert value(text, "speakup_service_figures_up") == 0
    assert "speakup_http_requests_total" in text
