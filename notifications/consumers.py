"""WebSocket consumers. Each joins only groups its user may see (workflow.policies decide),
and forwards ids and kinds; the page then fetches what its user may see."""

from __future__ import annotations

import asyncio
import contextlib
import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from redis.exceptions import RedisError

from concerns.roles import is_guardian
from concerns.selectors import organisation_ids_for_user
from notifications import live
from workflow.errors import CaseNotFound
from workflow.models import Case
from workflow.policies import receipt_holder_from_session
from workflow.selectors import case_get_for_user, concern_get_for_reporter
from workflow.socket_tokens import concern_for_socket_token

# The channel layer (Redis) is away: the socket cannot hear anything, so it is closed with
# 1013 "try again later"; the page reconnects with back-off and refetches (static/js/live.js).
TRY_AGAIN_LATER = 1013
LAYER_ERRORS = (RedisError, OSError)  # OSError covers refused, reset and timed out
JOIN_TIMEOUT_SECONDS = 2.0


class _GroupsConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    async def __call__(self, scope, receive, send) -> None:
        """The layer failing (on connect, while listening, on leaving) ends this socket
        quietly: a 1013 close and one log line per outage, not a traceback per socket."""
        try:
            await super().__call__(scope, receive, send)
        except LAYER_ERRORS as exc:
            live.health.failed(exc, "socket")
            with contextlib.suppress(Exception):  # the socket may already be gone
                await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})

    async def connect(self) -> None:
        self.groups_joined = []
        groups = await database_sync_to_async(self._groups_if_enrolled)()
        if not groups:
            await self.close(code=4404)  # the same refusal for "not yours" and "no such thing"
            return
        if self.user is not None and self.user.is_authenticated:
            # Signing out (or a password change, or the account disabled) closes this.
            groups = [*groups, live.account_group(self.user.pk)]
        for group in groups:
            await asyncio.wait_for(
                self.channel_layer.group_add(group, self.channel_name), JOIN_TIMEOUT_SECONDS
            )
            self.groups_joined.append(group)
        live.health.worked()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            try:
                await asyncio.wait_for(
                    self.channel_layer.group_discard(group, self.channel_name),
                    JOIN_TIMEOUT_SECONDS,
                )
            except LAYER_ERRORS:
                break  # membership expires with the group's TTL in Redis

    async def receive_json(self, content: object, **kwargs: object) -> None:
        """Clients only listen."""

    async def dispatch(self, message: dict) -> None:
        """Live events go straight to the socket. Channels' own dispatch first closes stale
        database connections, on a worker thread, for every message: for a broadcast to
        hundreds of sockets that hop was most of the server's work, and forwarding an id
        touches no database."""
        if message.get("type") == "live.event":
            await self.live_event(message)
        else:
            await super().dispatch(message)

    async def account_ended(self, message: dict) -> None:
        await self.close(code=4401)

    async def live_event(self, message: dict) -> None:
        await self.send(text_data=json.dumps({k: v for k, v in message.items() if k != "type"}))

    def allowed_groups(self) -> list[str]:
        raise NotImplementedError

    def _groups_if_enrolled(self) -> list[str]:
        # Staff who have not set up MFA hear nothing until they do (accounts.middleware).
        from accounts.middleware import mfa_missing

        if self.user is not None and mfa_missing(self.user, self.scope.get("session")):
            return []
        return self.allowed_groups()

    @property
    def user(self):
        return self.scope.get("user")


class QueueConsumer(_GroupsConsumer):
    """/ws/queue/: a guardian's queue; one group per organisation served, plus their own."""

    def allowed_groups(self) -> list[str]:
        user = self.user
        if user is None or not user.is_authenticated or not is_guardian(user):
            return []
        orgs = sorted(organisation_ids_for_user(user=user))
        return [live.organisation_group(o) for o in orgs] + [live.user_group(user.pk)]


class CaseConsumer(_GroupsConsumer):
    """/ws/cases/<reference>/: a case page, for guardians allowed on that case."""

    def allowed_groups(self) -> list[str]:
        try:
            case = case_get_for_user(user=self.user, reference=self.reference)
        except CaseNotFound:
            return []
        return [live.case_group(case.pk)]

    @property
    def reference(self) -> str:
        return self.scope["url_route"]["kwargs"]["reference"]


class ConcernConsumer(_GroupsConsumer):
    """/ws/concern/<token>/: the reporter's conversation, for its signed-in owner or an
    anonymous reporter whose session proved the receipt. The token is this session's own
    name for the concern (workflow.socket_tokens): the URL carries no reference."""

    def allowed_groups(self) -> list[str]:
        session = self.scope.get("session")
        concern_id = concern_for_socket_token(session, self.scope["url_route"]["kwargs"]["token"])
        if concern_id is None:
            return []
        reference = (
            Case.objects.filter(concern_id=concern_id).values_list("reference", flat=True).first()
        )
        if reference is None:
            return []
        for actor in self._actors():
            try:
                case = concern_get_for_reporter(actor=actor, reference=reference)
            except CaseNotFound:
                continue
            return [live.concern_group(case.pk)]
        return []

    def _actors(self) -> list:
        actors = []
        if self.user is not None and self.user.is_authenticated:
            actors.append(self.user)
        holder = receipt_holder_from_session(self.scope.get("session"))
        if holder is not None:
            actors.append(holder)
        return actors


class UnknownPathConsumer(AsyncJsonWebsocketConsumer):
    """Any other socket path: refused quietly. Channels' router raises (and the server logs
    the path with its traceback) for a path it has no route for, and a reporter's old or
    mistyped path can carry a concern's reference."""

    async def connect(self) -> None:
        await self.close(code=4404)
