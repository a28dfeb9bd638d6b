"""WebSocket consumers: who may listen to what, and what they hear (ids and kinds only)."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from config.asgi import application
from tests.factories import case_in_state, raise_concern
from workflow.policies import RECEIPT_SESSION_KEY
from workflow.services import handling

pytestmark = pytest.mark.django_db(transaction=True)


def session_for(user=None, *, receipt_concern_id=None, until=None) -> str:
    if user is not None:
        client = Client()
        client.force_login(user)
        store = SessionStore(session_key=client.cookies["sessionid"].value)
    else:
        store = SessionStore()
    if receipt_concern_id is not None:
        store[RECEIPT_SESSION_KEY] = {
            "concern": receipt_concern_id,
            "until": until if until is not None else time.time() + 600,
        }
    store.save()
    return store.session_key


def concern_path(session_key: str | None, case) -> str:
    """The reporter page's socket for ``case`` in this session (an opaque token, as the page
    makes it; never the reference)."""
    from importlib import import_module

    from django.conf import settings

    from workflow.socket_tokens import socket_path_for

    # The configured engine (cached_db), so that the cached copy gets the token too.
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    path = socket_path_for(store, concern_id=case.concern_id)
    store.save()
    return path


def communicator(path: str, session_key: str | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost")]
    if session_key:
        headers.append((b"cookie", f"sessionid={session_key}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def _connects(path: str, session_key: str | None) -> bool:
    ws = communicator(path, session_key)
    connected, _ = await ws.connect()
    await ws.disconnect()
    return connected


def connects(path: str, session_key: str | None = None) -> bool:
    return async_to_sync(_connects)(path, session_key)


def hears_after(path: str, session_key: str, action) -> list[dict]:
    """Connect, run ``action`` (a committed write), and collect what the socket hears."""

    async def run() -> list[dict]:
        ws = communicator(path, session_key)
        connected, _ = await ws.connect()
        assert connected
        from asgiref.sync import sync_to_async

        await sync_to_async(action)()
        heard = []
        while not await ws.receive_nothing(timeout=0.3):
            heard.append(await ws.receive_json_from())
        await ws.disconnect()
        return heard

    return async_to_sync(run)()


# --- the guardian queue ------------------------------------------------------------------


def test_a_guardian_hears_of_a_new_case_in_their_organisation(org, guardian):
    heard = hears_after("/ws/queue/", session_for(guardian), lambda: raise_concern(org))
    assert heard and heard[0]["kind"] == "raised"
    assert set(heard[0]) == {"event", "case", "kind"}  # ids and kinds, nothing else


def test_a_guardian_hears_nothing_of_another_organisations_case(org, other_org, guardian):
    heard = hears_after("/ws/queue/", session_for(guardian), lambda: raise_concern(other_org))
    assert heard == []


@pytest.mark.parametrize("who", ["anonymous", "reporter", "committee"])
def test_the_queue_socket_refuses_non_guardians(who, request):
    session = None if who == "anonymous" else session_for(request.getfixturevalue(who))
    assert not connects("/ws/queue/", session)


# --- a case page -------------------------------------------------------------------------


def test_a_guardian_of_the_organisation_may_follow_a_case(org, guardian, other_guardian):
    case = case_in_state(raise_concern(org).case, "acknowledged", guardian=guardian)
    heard = hears_after(
        f"/ws/cases/{case.reference}/",
        session_for(other_guardian),
        lambda: handling.case_note_add(case=case, actor=guardian, body="Called the ward"),
    )
    assert [h["kind"] for h in heard] == ["note"]


@pytest.mark.parametrize("who", ["anonymous", "reporter", "committee", "outsider_guardian"])
def test_a_case_socket_refuses_whoever_may_not_see_the_case(who, request, org):
    case = raise_concern(org).case
    session = None if who == "anonymous" else session_for(request.getfixturevalue(who))
    assert not connects(f"/ws/cases/{case.reference}/", session)


def test_a_case_that_does_not_exist_is_refused_the_same_way(guardian):
    assert not connects("/ws/cases/SU-2026-99999/", session_for(guardian))


# --- the reporter's conversation ---------------------------------------------------------


def test_the_signed_in_reporter_hears_a_guardian_message_but_not_internal_notes(
    org, guardian, reporter
):
    case = raise_concern(org, route="open", reporter=reporter).case
    case = case_in_state(case, "acknowledged", guardian=guardian)

    def act():
        handling.case_note_add(case=case, actor=guardian, body="Internal")
        handling.case_message_send(case=case, actor=guardian, body="Hello")

    session = session_for(reporter)
    heard = hears_after(concern_path(session, case), session, act)
    assert [h["kind"] for h in heard] == ["message_to_reporter"]


def test_an_anonymous_reporter_holding_the_receipt_hears_their_conversation(org, guardian):
    case = case_in_state(raise_concern(org).case, "acknowledged", guardian=guardian)
    session = session_for(receipt_concern_id=case.concern_id)
    heard = hears_after(
        concern_path(session, case),
        session,
        lambda: handling.case_message_send(case=case, actor=guardian, body="Hello"),
    )
    assert [h["kind"] for h in heard] == ["message_to_reporter"]


def test_a_receipt_session_opens_only_its_own_concern(org):
    mine, theirs = raise_concern(org).case, raise_concern(org).case
    session = session_for(receipt_concern_id=mine.concern_id)
    assert connects(concern_path(session, mine), session)
    # a token for another concern in this session (the page would never make one) is refused
    assert not connects(concern_path(session, theirs), session)


def test_an_expired_receipt_session_is_refused(org):
    case = raise_concern(org).case
    session = session_for(receipt_concern_id=case.concern_id, until=time.time() - 1)
    assert not connects(concern_path(session, case), session)


def test_another_reporter_cannot_follow_a_concern(org, reporter):
    from concerns.roles import Role
    from tests.factories import make_user

    case = raise_concern(org, route="open", reporter=reporter).case
    stranger = make_user(Role.REPORTER, username="sam")
    owner, other = session_for(reporter), session_for(stranger)
    assert connects(concern_path(owner, case), owner)
    # not with a token of their own for it, nor with the owner's token, nor with no session
    assert not connects(concern_path(other, case), other)
    assert not connects(concern_path(owner, case), other)
    assert not connects(concern_path(owner, case), None)


def test_guardians_cannot_use_the_reporter_socket(org, guardian, reporter):
    case = raise_concern(org, route="open", reporter=reporter).case
    session = session_for(guardian)
    assert not connects(concern_path(session, case), session)


def test_the_reporter_socket_names_no_concern(org, reporter):
    # (issue 13) the old path with a reference is gone, and a token is not a reference
    case = raise_concern(org, route="open", reporter=reporter).case
    session = session_for(reporter)
    # refused, and quietly: the router's "No route found for path ..." error (with the
    # path, so the reference) no longer reaches the server's log
    assert not connects(f"/ws/concerns/{case.reference}/", session)
    path = concern_path(session, case)
    token = path.split("/")[-2]
    # (a random token may contain the id's digits by chance: it must not *be* the id)
    assert case.reference not in path and token != str(case.concern_id) and len(token) >= 16
