"""The staff notification list: own notifications only, unread count, mark read."""

from __future__ import annotations

import pytest

from notifications.models import Notification, Topic
from tests.factories import raise_concern

pytestmark = pytest.mark.django_db


@pytest.fixture
def notified(committed, org, guardian, other_guardian):
    case = committed(raise_concern, org).case
    mine = Notification.objects.get(recipient=guardian)
    theirs = Notification.objects.get(recipient=other_guardian)
    return case, mine, theirs


def test_a_guardian_sees_their_notifications_and_unread_count(client, guardian, notified):
    case, _, _ = notified
    client.force_login(guardian)
    page = client.get("/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"There is a new case, {case.reference}." in html
    assert f'href="/cases/{case.reference}/"' in html
    assert "1 unread" in html
    assert client.get("/notifications/unread/").json() == {"unread": 1}


def test_marking_one_read_lowers_the_count(client, guardian, notified):
    _, mine, theirs = notified
    client.force_login(guardian)
    response = client.post(f"/notifications/{mine.pk}/read/")
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.is_read and not theirs.is_read
    assert client.get("/notifications/unread/").json() == {"unread": 0}


def test_mark_all_read_touches_only_my_own(client, guardian, notified):
    _, mine, theirs = notified
    client.force_login(guardian)
    client.post("/notifications/read-all/")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.is_read and not theirs.is_read


def test_someone_elses_notification_is_not_found(client, guardian, notified):
    _, _, theirs = notified
    client.force_login(guardian)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_marking_read_needs_post(client, guardian, notified):
    _, mine, _ = notified
    client.force_login(guardian)
    assert client.get(f"/notifications/{mine.pk}/read/").status_code == 405


@pytest.mark.parametrize("who", ["reporter", "committee"])
def test_non_guardians_are_refused(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/notifications/").status_code == 403
    assert client.get("/notifications/unread/").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_list_page_asks_for_live_updates(client, guardian):
    client.force_login(guardian)
    assert 'data-live-socket="/ws/queue/"' in client.get("/notifications/").content.decode()


def test_topics_are_shown_without_concern_content(client, committed, org, guardian):
    committed(
        raise_concern,
        org,
        description="Nurse Jones was bullied",
        categories=("bullying-harassment",),
    )
    client.force_login(guardian)
    html = client.get("/notifications/").content.decode()
    assert "Jones" not in html and "ullying" not in html
    assert Notification.objects.get(recipient=guardian).topic == Topic.NEW_CASE
