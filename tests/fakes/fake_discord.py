"""A local fake Discord that speaks Discord's wire protocol, for testing through discord.py.

One aiohttp server on 127.0.0.1 (random port) serves

* the gateway (v10, JSON encoding) at ``/`` and, for RESUME, at ``/resume``
  (that is the ``resume_gateway_url`` READY announces). Transport compression
  ``zlib-stream`` is honoured when the client asks for it (discord.py does);
  any other requested compression is answered with plain text frames, which
  discord.py also accepts. Payload compression (IDENTIFY ``compress``) is
  ignored, as Discord does when transport compression is on;
* the REST API under ``/api/v10`` for the routes a bot like PeerLoop uses;
  anything else answers 404 with a Discord JSON error and lands in
  :attr:`FakeDiscord.unhandled`.

Everything the bot sends is recorded in order (:attr:`FakeDiscord.requests`),
faults can be injected per route (:meth:`FakeDiscord.fail_next`), and
interactions are built the way Discord delivers them
(:meth:`FakeDiscord.slash_command` and friends) and pushed with
:meth:`FakeDiscord.interact`.

Point discord.py at it with
``bot.adapters.discord_client.configure_discord_endpoints(fake.api_base_url, fake.gateway_url)``
(the ``fake_discord`` fixture in ``tests/fakes/discord_fixtures.py`` does it). Example::

    async def test_ping(fake_discord, discord_runner):
        client, tree = make_my_bot()                      # discord.Client(**client_options())
        await discord_runner.start(client)                # login, IDENTIFY, READY, GUILD_CREATE
        await tree.sync(guild=discord.Object(fake_discord.guild.id))
        sent = await fake_discord.interact(
            fake_discord.slash_command("alice", fake_discord.guild, "ping"))
        body = await fake_discord.wait_for_interaction_response(sent)
        assert body["type"] == 4 and body["data"]["flags"] == 64

Behaviour worth knowing: without the privileged GUILD_MEMBERS intent GUILD_CREATE
carries only the bot's own member (as on Discord); a second callback for the same
interaction gets 400/40060; the first followup after a deferred reply replaces the
"thinking" message; 429s carry ``Via`` (discord.py only retries 429s that have it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.fake_discord_channels import GuildChannelsMixin

__all__ = [
    "ALL_PERMISSIONS_BOT",
    "DEFAULT_MEMBER_PERMISSIONS",
    "FakeDiscord",
    "FakeGuild",
    "FakeUser",
    "Fault",
    "RecordedFile",
    "RecordedRequest",
]

DISCORD_EPOCH_MS = 1_420_070_400_000
API_PREFIX = "/api/v10"

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_EVENTS = 1 << 33
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
CREATE_EVENTS = 1 << 44
MANAGE_CHANNELS = 1 << 4
CONNECT = 1 << 20
SPEAK = 1 << 21

DEFAULT_MEMBER_PERMISSIONS = (
    ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | SEND_MESSAGES_IN_THREADS
)
ALL_PERMISSIONS_BOT = (
    DEFAULT_MEMBER_PERMISSIONS
    | MANAGE_THREADS
    | MANAGE_EVENTS
    | CREATE_EVENTS
    | MANAGE_CHANNELS
    | CONNECT
    | SPEAK
)

# Gateway intents the fake looks at when deciding which events to push.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12

EPHEMERAL = 1 << 6
LOADING = 1 << 7

# Interaction types and the callback types Discord accepts for each.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
_ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    PING: frozenset({1}),
    APPLICATION_COMMAND: frozenset({4, 5, 9, 12}),
    MESSAGE_COMPONENT: frozenset({4, 5, 6, 7, 9, 12}),
    AUTOCOMPLETE: frozenset({8}),
    MODAL_SUBMIT: frozenset({4, 5, 6, 7, 12}),
}

_DEFAULT_ERRORS: dict[int, dict[str, Any]] = {
    400: {"message": "Invalid Form Body", "code": 50035},
    401: {"message": "401: Unauthorized", "code": 0},
    403: {"message": "Missing Permissions", "code": 50013},
    404: {"message": "404: Not Found", "code": 0},
    500: {"message": "500: Internal Server Error", "code": 0},
    502: {"message": "502: Bad Gateway", "code": 0},
    503: {"message": "503: Service Unavailable", "code": 0},
}


def _iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(ts if ts is not None else time.time(), UTC).isoformat()


def _compile_pattern(pattern: str) -> re.Pattern[str]:
    """``/channels/{id}/messages`` -> regex; ``{...}`` matches one path segment."""
    if pattern.startswith(API_PREFIX):
        pattern = pattern[len(API_PREFIX) :]
    parts = []
    for segment in pattern.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            name = segment[1:-1]
            parts.append(f"(?P<{name}>[^/]+)" if name.isidentifier() else "[^/]+")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts))


def _path_matches(pattern: str, path: str) -> bool:
    return _compile_pattern(pattern).fullmatch(path) is not None


@dataclass(frozen=True, slots=True)
class FakeUser:
    """A Discord user known to the fake."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "primary_guild": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass(slots=True)
class FakeGuild:
    """A guild with an @everyone role, a bot role, a category, a text channel and members."""

    id: int
    name: str
    owner_id: int
    roles: list[dict[str, Any]] = field(default_factory=list)
    channels: list[dict[str, Any]] = field(default_factory=list)
    member_roles: dict[int, list[int]] = field(default_factory=dict)
    joined_at: str = field(default_factory=_iso)

    @property
    def text_channel(self) -> dict[str, Any]:
        return next(c for c in self.channels if c["type"] == 0)

    @property
    def text_channel_id(self) -> int:
        return int(self.text_channel["id"])

    @property
    def member_ids(self) -> list[int]:
        return list(self.member_roles)

    def permissions_of(self, user_id: int) -> int:
        if user_id == self.owner_id:
            return (1 << 53) - 1
        role_ids = {self.id, *self.member_roles.get(user_id, [])}
        value = 0
        for role in self.roles:
            if int(role["id"]) in role_ids:
                value |= int(role["permissions"])
        return value


@dataclass(slots=True)
class RecordedFile:
    field_name: str
    filename: str
    content_type: str | None
    data: bytes


@dataclass(slots=True)
class RecordedRequest:
    """One HTTP request the bot made, with what the fake answered."""

    index: int
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    content_type: str
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: list[RecordedFile] = field(default_factory=list)
    route: str | None = None
    status: int = 0
    response: Any = None
    fault: bool = False

    @property
    def is_multipart(self) -> bool:
        return self.content_type.startswith("multipart/")

    def matches(self, method: str, pattern: str) -> bool:
        return (method == "*" or method.upper() == self.method) and _path_matches(
            pattern, self.path
        )

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}{' (injected)' if self.fault else ''}>"


@dataclass(slots=True)
class Fault:
    """An injected failure: the next ``times`` matching requests get this answer."""

    method: str
    pattern: str
    status: int
    body: Any
    headers: dict[str, str]
    times: int
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (
            self.hits < self.times
            and (self.method == "*" or self.method == method)
            and _path_matches(self.pattern, path)
        )


class _Session:
    def __init__(self, token: str, intents: int) -> None:
        self.id = uuid.uuid4().hex
        self.token = token
        self.intents = intents
        self.seq = 0
        self.frames: list[dict[str, Any]] = []
        self.shard = 0
        self.conn: _Connection | None = None


class _Connection:
    def __init__(self, ws: web.WebSocketResponse, path: str, query: Mapping[str, str]) -> None:
        self.ws = ws
        self.path = path
        self.query = dict(query)
        self.session: _Session | None = None
        self.ready = False
        self._zlib = zlib.compressobj() if query.get("compress") == "zlib-stream" else None

    async def send(self, frame: dict[str, Any]) -> None:
        text = json.dumps(frame, separators=(",", ":"))
        if self.ws.closed:
            return
        with contextlib.suppress(ConnectionError, RuntimeError):
            if self._zlib is not None:
                data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(text)


_Handler = Callable[..., Any]
_FROM_MESSAGE: Any = object()
_FIRST_GUILD: Any = object()


class FakeDiscord(GuildChannelsMixin):
    """The fake. ``async with FakeDiscord() as fake:`` or ``await fake.start()``/``close()``."""

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        users: Sequence[str] = ("alice", "bob", "carol"),
        heartbeat_interval_ms: int = 41_250,
        application_flags: int = 0,
    ) -> None:
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self._snowflake_counter = 0
        self.bot = FakeUser(self.snowflake(), "PeerLoop", "PeerLoop", bot=True)
        self.application_id = self.bot.id
        self.application_flags = application_flags
        self.owner = FakeUser(self.snowflake(), "owner", "Owner")
        self.users: dict[int, FakeUser] = {self.bot.id: self.bot, self.owner.id: self.owner}
        self.users_by_name: dict[str, FakeUser] = {"owner": self.owner}
        for name in users:
            self.add_user(name)

        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, list[dict[str, Any]]] = {}
        self.thread_members: dict[int, set[int]] = {}
        self.dm_channels: dict[int, int] = {}
        self.closed_dms: set[int] = set()
        self.departed: set[int] = set()
        self.removed_bot_roles: dict[int, list[int]] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.scheduled_events: dict[int, list[dict[str, Any]]] = {}
        self.interactions: dict[int, dict[str, Any]] = {}
        self._interactions_by_token: dict[str, int] = {}

        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []
        #: Files a member attached to a slash command (served from the CDN route), by id.
        self.cdn_files: dict[str, tuple[str, bytes, str]] = {}
        #: Paths fetched from the CDN route.
        self.cdn_requests: list[str] = []
        self.faults: list[Fault] = []
        self.gateway_connections: list[_Connection] = []
        self.gateway_received: list[dict[str, Any]] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.session: _Session | None = None
        self._live: _Connection | None = None
        #: Sharding (IDENTIFY with ``shard: [id, count]``, count > 1): each shard's sessions with
        #: their live connections; guild events go to shard ``(guild_id >> 22) % count``, the rest
        #: to 0. As on Discord, two sessions IDENTIFYed for one shard both get its events.
        self.shard_count = 1
        self.shard_sessions: dict[int, list[_Session]] = {}
        #: (shard, event name, the event's id) of every event sent while sharded.
        self.events_by_shard: list[tuple[int, str, Any]] = []
        self._released = asyncio.Event()
        self._released.set()
        self._changed: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes = self._build_routes()

        self.guild = self.add_guild(
            "PeerLoop Dev", members=[u for n, u in self.users_by_name.items() if n != "owner"]
        )

    # ------------------------------------------------------------------ setup

    def snowflake(self) -> int:
        self._snowflake_counter += 1
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (1 << 17) | (self._snowflake_counter & 0xFFF)

    def add_user(self, username: str, global_name: str | None = None) -> FakeUser:
        user = FakeUser(self.snowflake(), username, global_name or username.title())
        self.users[user.id] = user
        self.users_by_name[username] = user
        return user

    def user(self, name_or_id: str | int | FakeUser) -> FakeUser:
        if isinstance(name_or_id, FakeUser):
            return name_or_id
        if isinstance(name_or_id, str):
            return self.users_by_name[name_or_id]
        return self.users[int(name_or_id)]

    def add_guild(self, name: str, members: Iterable[FakeUser] = ()) -> FakeGuild:
        gid = self.snowflake()
        guild = FakeGuild(id=gid, name=name, owner_id=self.owner.id)
        bot_role = self.snowflake()
        guild.roles = [
            self._role(gid, "@everyone", DEFAULT_MEMBER_PERMISSIONS, 0),
            self._role(bot_role, "PeerLoop", ALL_PERMISSIONS_BOT, 1, managed=True),
        ]
        category = {
            "id": str(self.snowflake()),
            "type": 4,
            "guild_id": str(gid),
            "name": "Interviews",
            "position": 0,
            "permission_overwrites": [],
            "flags": 0,
            "nsfw": False,
            "parent_id": None,
        }
        text = {
            "id": str(self.snowflake()),
            "type": 0,
            "guild_id": str(gid),
            "name": "mock-interviews",
            "position": 0,
            "permission_overwrites": [],
            "parent_id": category["id"],
            "topic": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "default_auto_archive_duration": 1440,
            "flags": 0,
        }
        guild.channels = [category, text]
        guild.member_roles[self.bot.id] = [bot_role]
        guild.member_roles[self.owner.id] = []
        for member in members:
            guild.member_roles[member.id] = []
        for channel in guild.channels:
            self.channels[int(channel["id"])] = channel
        self.guilds[gid] = guild
        return guild

    @staticmethod
    def _role(
        rid: int, name: str, perms: int, position: int, managed: bool = False
    ) -> dict[str, Any]:
        return {
            "id": str(rid),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": position,
            "permissions": str(perms),
            "managed": managed,
            "mentionable": False,
            "flags": 0,
        }

    def close_dms(self, user: int | str | FakeUser) -> None:
        """From now on a DM to this user fails with 403 / 50007, as Discord does."""
        self.closed_dms.add(self.user(user).id)

    # ---------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/resume"

    async def start(self) -> FakeDiscord:
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/", self._gateway)
        app.router.add_get("/resume", self._gateway)
        app.router.add_get("/attachments/{aid}/{filename}", self._cdn)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self._released.set()
        for conn in self.gateway_connections:
            if not conn.ws.closed:
                with contextlib.suppress(Exception):
                    await conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 60.0,  # noqa: ASYNC109 - generous: only matters when a test fails
        what: str = "",
    ) -> Any:
        """Wait until ``predicate()`` returns something truthy (re-checked on every change)."""
        assert self._changed is not None, "start the fake first"
        async with self._changed:
            try:
                return await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
            except TimeoutError:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what or predicate}; "
                    f"requests so far: {self.requests}; unhandled: {self.unhandled}"
                ) from None

    # ---------------------------------------------------------------- gateway

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if not web.WebSocketResponse().can_prepare(request).ok:
            return await self._rest(request)
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = _Connection(ws, request.path, request.query)
        self.gateway_connections.append(conn)
        await self._released.wait()
        if (
            request.query.get("v") not in (None, "10")
            or request.query.get("encoding", "json") != "json"
        ):
            await ws.close(code=4012, message=b"Invalid API version")
            return ws
        await conn.send(
            {
                "op": 10,
                "d": {"heartbeat_interval": self.heartbeat_interval_ms},
                "s": None,
                "t": None,
            }
        )
        await self._notify()
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                if msg.type is WSMsgType.BINARY:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                continue
            try:
                payload = json.loads(msg.data)
            except ValueError:
                await ws.close(code=4002, message=b"Error while decoding payload.")
                break
            self.gateway_received.append(payload)
            await self._on_gateway_op(conn, payload)
        if self._live is conn:
            self._live = None
        await self._notify()
        return ws

    async def _on_gateway_op(self, conn: _Connection, payload: dict[str, Any]) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == 1:
            await conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            if not isinstance(data, dict) or data.get("token") != self.token:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
                return
            self.identifies.append(data)
            session = _Session(self.token, int(data.get("intents", 0)))
            shard_id, count = data.get("shard") or (0, 1)
            if count > 1:
                if self.shard_count not in (1, count) or not 0 <= shard_id < count:
                    await conn.ws.close(code=4010, message=b"Invalid shard.")
                    return
                self.shard_count, session.shard, session.conn = count, shard_id, conn
                self.shard_sessions.setdefault(shard_id, []).append(session)
                conn.session, conn.ready = session, True
                await self._emit("READY", self._ready_payload(session), session=session)
                for guild in self.guilds.values():
                    if self.shard_of(guild.id) == shard_id:
                        await self._emit(
                            "GUILD_CREATE", self._guild_create_payload(guild), session=session
                        )
                await self._notify()
                return
            self.session, conn.session, conn.ready = session, session, True
            self._live = conn
            await self._emit("READY", self._ready_payload(session))
            for guild in self.guilds.values():
                await self._emit("GUILD_CREATE", self._guild_create_payload(guild))
            await self._notify()
        elif op == 6:
            self.resumes.append(data)
            session = self.session
            sharded = [
                x
                for xs in self.shard_sessions.values()
                for x in xs
                if isinstance(data, dict) and x.id == data.get("session_id")
            ]
            if sharded:
                session = sharded[0]
                session.conn = conn
            if (
                not isinstance(data, dict)
                or session is None
                or data.get("session_id") != session.id
                or data.get("token") != self.token
            ):
                await conn.send({"op": 9, "d": False, "s": None, "t": None})
                return
            conn.session, conn.ready = session, True
            if not sharded:
                self._live = conn
            last_seen = data.get("seq") or 0
            for frame in session.frames:
                if frame["s"] > last_seen:
                    await conn.send(frame)
            await self._emit("RESUMED", {}, session=session if sharded else None)
            await self._notify()
        elif op in (3, 4, 8, 31):
            pass  # presence / voice / member chunk requests: accepted, nothing to do
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    def shard_of(self, guild_id: int | str | None) -> int:
        """The shard Discord sends a guild's events to (DMs go to shard 0)."""
        return (int(guild_id) >> 22) % self.shard_count if guild_id else 0

    async def _emit(self, event: str, data: Any, *, session: _Session | None = None) -> int:
        if self.shard_count > 1:
            if session is not None:
                targets = [session]
            else:
                guild_id = None
                if isinstance(data, dict):
                    guild_id = (
                        data.get("id") if event.startswith("GUILD_") else data.get("guild_id")
                    )
                targets = self.shard_sessions.get(self.shard_of(guild_id), [])
            if not targets:
                raise RuntimeError("no gateway session for this event's shard")
            for target in targets:
                self.events_by_shard.append(
                    (target.shard, event, data.get("id") if isinstance(data, dict) else None)
                )
                target.seq += 1
                frame = {"op": 0, "t": event, "s": target.seq, "d": data}
                target.frames.append(frame)
                if target.conn is not None and target.conn.ready and target.conn.session is target:
                    await target.conn.send(frame)
            return targets[-1].seq
        live = self._live
        session = self.session
        if session is None:
            raise RuntimeError("no gateway session yet: start the client before dispatching events")
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.frames.append(frame)
        if live is not None and live.ready and live.session is session:
            await live.send(frame)
        return session.seq

    async def dispatch(self, event_name: str, data: Any) -> int:
        """Push a DISPATCH event (e.g. ``INTERACTION_CREATE``); returns its sequence number.

        With no live connection the event is kept and replayed on RESUME, as Discord does.
        """
        return await self._emit(event_name, data)

    @property
    def connected(self) -> bool:
        return self._live is not None and not self._live.ws.closed

    async def wait_for_connection(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until a client has IDENTIFYed or RESUMEd and is receiving events."""
        await self.wait_until(lambda: self.connected, timeout, "a gateway session")

    async def drop_connection(self, code: int = 4000, *, hold: bool = False) -> None:
        """Close the live gateway connection with ``code`` (4000: unknown error, resumable).

        With ``hold=True`` new connections wait before HELLO until :meth:`release_connections`,
        so events dispatched meanwhile are only delivered by RESUME's replay.
        """
        if hold:
            self._released.clear()
        conn, self._live = self._live, None
        if conn is not None:
            conn.ready = False
            await conn.ws.close(code=code, message=b"fake Discord dropped the connection")
        await self._notify()

    def release_connections(self) -> None:
        self._released.set()

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT on the live connection."""
        if self._live is not None:
            await self._live.send({"op": 7, "d": None, "s": None, "t": None})

    async def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; a non-resumable one forgets the session."""
        conn = self._live
        if not resumable:
            self.session = None
        if conn is not None:
            await conn.send({"op": 9, "d": resumable, "s": None, "t": None})

    def _ready_payload(self, session: _Session) -> dict[str, Any]:
        return {
            "v": 10,
            "user": {**self.bot.payload(), "verified": True, "mfa_enabled": False, "email": None},
            "user_settings": {},
            "guilds": [
                {"id": str(g), "unavailable": True}
                for g in self.guilds
                if self.shard_count == 1 or self.shard_of(g) == session.shard
            ],
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["us-east"],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "shard": [session.shard, self.shard_count],
            "application": {"id": str(self.application_id), "flags": self.application_flags},
            "auth": {},
            "_trace": ['["fake-discord",{"micros":0}]'],
        }

    def member_payload(
        self, guild: FakeGuild, user_id: int, *, with_permissions: bool = False
    ) -> dict[str, Any]:
        member: dict[str, Any] = {
            "user": self.users[user_id].payload(),
            "roles": [str(r) for r in guild.member_roles.get(user_id, [])],
            "joined_at": guild.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "nick": None,
            "avatar": None,
            "banner": None,
            "flags": 0,
            "communication_disabled_until": None,
            "unusual_dm_activity_until": None,
        }
        if with_permissions:
            member["permissions"] = str(guild.permissions_of(user_id))
        return member

    def _guild_create_payload(self, guild: FakeGuild) -> dict[str, Any]:
        intents = self.session.intents if self.session else 0
        threads = [
            c
            for c in self.channels.values()
            if c.get("guild_id") == str(guild.id) and c["type"] in (10, 11, 12)
        ]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "region": "us-east",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "features": [],
            "roles": guild.roles,
            "emojis": [],
            "stickers": [],
            "system_channel_id": str(guild.text_channel_id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "vanity_url_code": None,
            "application_id": None,
            "premium_progress_bar_enabled": False,
            "incidents_data": None,
            "joined_at": guild.joined_at,
            "large": False,
            "unavailable": False,
            "lazy": True,
            "member_count": len(guild.member_roles),
            # Without the privileged GUILD_MEMBERS intent Discord sends only the bot's own member.
            "members": [
                self.member_payload(guild, uid)
                for uid in guild.member_roles
                if intents & INTENT_GUILD_MEMBERS or uid == self.bot.id
            ],
            "channels": [c for c in guild.channels if c["type"] not in (10, 11, 12)],
            "threads": threads,
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": self.scheduled_events.get(guild.id, []),
            "soundboard_sounds": [],
        }

    # ------------------------------------------------------------ REST plumbing

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], str, _Handler]]:
        table: list[tuple[str, str, _Handler]] = [
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/users/@me", self._get_me),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("GET", "/applications/{application_id}/commands", self._get_commands),
            ("PUT", "/applications/{application_id}/commands", self._put_commands),
            ("POST", "/applications/{application_id}/commands", self._post_command),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._get_commands,
            ),
            (
                "PUT",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._put_commands,
            ),
            (
                "POST",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._post_command,
            ),
            ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self._callback),
            (
                "GET",
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                self._get_webhook_message,
            ),
            (
                "PATCH",
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                self._patch_webhook_message,
            ),
            (
                "DELETE",
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                self._delete_webhook_message,
            ),
            (
                "GET",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self._get_webhook_message,
            ),
            (
                "PATCH",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self._patch_webhook_message,
            ),
            (
                "DELETE",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self._delete_webhook_message,
            ),
            ("POST", "/webhooks/{webhook_id}/{webhook_token}", self._post_followup),
            ("POST", "/users/@me/channels", self._open_dm),
            ("GET", "/users/{user_id}", self._get_user),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
            ("GET", "/guilds/{guild_id}", self._get_guild),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self._get_guild_roles),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("POST", "/channels/{channel_id}/messages", self._post_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._patch_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message),
            ("POST", "/channels/{channel_id}/threads", self._create_thread),
            ("PUT", "/channels/{channel_id}/thread-members/{user_id}", self._add_thread_member),
            ("POST", "/guilds/{guild_id}/scheduled-events", self._create_scheduled_event),
            *self.channel_routes(),
        ]
        return [(m, _compile_pattern(t), t, h) for m, t, h in table]

    async def _read_body(self, request: web.Request, rec: RecordedRequest) -> None:
        if rec.content_type.startswith("multipart/"):
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                name = getattr(part, "name", None) or ""
                data = await part.read(decode=False)  # type: ignore[union-attr]
                filename = getattr(part, "filename", None)
                if filename is not None:
                    ctype = part.headers.get("Content-Type")
                    rec.files.append(RecordedFile(name, filename, ctype, bytes(data)))
                else:
                    rec.form[name] = bytes(data).decode()
            if "payload_json" in rec.form:
                rec.json = json.loads(rec.form["payload_json"])
        else:
            raw = await request.read()
            if raw:
                try:
                    rec.json = json.loads(raw)
                except ValueError:
                    rec.form["_raw"] = raw.decode(errors="replace")

    def _ratelimit_headers(self, route: str) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": "50",
            "X-RateLimit-Remaining": "49",
            "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
            "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Bucket": uuid.uuid5(uuid.NAMESPACE_URL, route).hex[:32],
        }

    def attach(
        self, filename: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> str:
        """A file a member attaches to a slash command's ATTACHMENT option; pass the returned
        id as that option's value."""
        aid = str(self.snowflake())
        self.cdn_files[aid] = (filename, data, content_type)
        return aid

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        """The CDN: attachment bytes, without a bot token (as Discord serves them)."""
        self.cdn_requests.append(request.path)
        found = self.cdn_files.get(request.match_info["aid"])
        if found is None or found[0] != request.match_info["filename"]:
            return web.Response(status=404, text="not found")
        return web.Response(body=found[1], content_type=found[2])

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        full_path = request.path
        rec = RecordedRequest(
            index=len(self.requests),
            method=request.method,
            path=full_path[len(API_PREFIX) :]
            if full_path.startswith(API_PREFIX + "/")
            else full_path,
            query=dict(request.query),
            headers=dict(request.headers),
            content_type=request.headers.get("Content-Type", ""),
        )
        await self._read_body(request, rec)
        self.requests.append(rec)
        status, body, headers = await self._answer(rec, full_path)
        rec.status, rec.response = status, body
        await self._notify()
        if status == 204 or body is None:
            return web.Response(status=status, headers=headers)
        # Exactly "application/json" (no charset), as Discord sends: discord.py compares it verbatim.
        return web.Response(
            body=json.dumps(body).encode(),
            status=status,
            headers={**headers, "Content-Type": "application/json"},
        )

    async def _answer(
        self, rec: RecordedRequest, full_path: str
    ) -> tuple[int, Any, dict[str, str]]:
        if not full_path.startswith(API_PREFIX + "/"):
            self.unhandled.append(rec)
            return 404, {"message": "404: Not Found", "code": 0}, {}
        handler: _Handler | None = None
        params: dict[str, str] = {}
        for method, regex, template, fn in self._routes:
            m = regex.fullmatch(rec.path)
            if m and method == rec.method:
                handler, params, rec.route = fn, m.groupdict(), template
                break
        headers = self._ratelimit_headers(rec.route or rec.path)
        if rec.headers.get("Authorization") != f"Bot {self.token}" and not rec.path.startswith(
            ("/interactions/", "/webhooks/")
        ):
            return 401, _DEFAULT_ERRORS[401], headers
        for fault in self.faults:
            if fault.matches(rec.method, rec.path):
                fault.hits += 1
                rec.fault = True
                return fault.status, fault.body, {**headers, **fault.headers}
        if handler is None:
            self.unhandled.append(rec)
            return 404, {"message": "404: Not Found", "code": 0}, headers
        result = await handler(rec, **params)
        status, body = result if isinstance(result, tuple) else (200, result)
        return status, body, headers

    # ------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        status: int,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        *,
        retry_after: float = 0.1,
        scope: str = "user",
        is_global: bool = False,
    ) -> Fault:
        """Answer the next ``times`` requests matching ``method`` and ``path_pattern`` with ``status``.

        ``path_pattern`` uses ``{name}`` for any one segment, e.g. ``/channels/{id}/messages``.
        429s get Discord's body (``message``, ``retry_after``, ``global``) and headers
        (``Retry-After``, ``X-RateLimit-*`` including ``X-RateLimit-Scope``, and ``Via``: without a
        ``Via`` header discord.py treats a 429 as a Cloudflare ban and does not retry).
        """
        hdrs: dict[str, str] = {}
        if status == 429:
            if body is None:
                body = {
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": is_global,
                }
                if is_global:
                    body["code"] = 0
            hdrs = {
                "Retry-After": f"{max(retry_after, 0):.3f}".rstrip("0").rstrip(".") or "0",
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                "X-RateLimit-Scope": "global" if is_global else scope,
                "Via": "1.1 google",
            }
            if is_global:
                hdrs["X-RateLimit-Global"] = "true"
        elif body is None:
            body = _DEFAULT_ERRORS.get(status, {"message": f"{status}: Error", "code": 0})
        hdrs.update(headers or {})
        fault = Fault(method.upper(), path_pattern, status, body, hdrs, times)
        self.faults.append(fault)
        return fault

    # ---------------------------------------------------------------- queries

    def requests_to(self, method: str, path_pattern: str) -> list[RecordedRequest]:
        """Recorded requests (including failed ones) matching method and ``{x}``-pattern."""
        return [r for r in self.requests if r.matches(method, path_pattern)]

    def mark(self) -> int:
        """An index into :attr:`requests`; pass it as ``after=`` to only see newer requests."""
        return len(self.requests)

    async def wait_for_request(
        self,
        method: str,
        path_pattern: str,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        after: int = 0,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        status: int | None = None,
        count: int = 1,
    ) -> RecordedRequest:
        """Wait for the ``count``-th matching request at index >= ``after``; returns it."""

        def find() -> RecordedRequest | None:
            hits = [
                r
                for r in self.requests[after:]
                if r.status
                and r.matches(method, path_pattern)
                and (status is None or r.status == status)
                and (predicate is None or predicate(r))
            ]
            return hits[count - 1] if len(hits) >= count else None

        return await self.wait_until(find, timeout, f"{method} {path_pattern}")

    def messages_in(self, channel_id: int | str) -> list[dict[str, Any]]:
        """Messages in a channel, oldest first (interaction replies included, ephemeral ones too)."""
        return list(self.messages.get(int(channel_id), []))

    def dm_channel_id(self, user: int | str | FakeUser) -> int | None:
        return self.dm_channels.get(self.user(user).id)

    def dms_to(self, user: int | str | FakeUser) -> list[dict[str, Any]]:
        cid = self.dm_channel_id(user)
        return [] if cid is None else self.messages_in(cid)

    def interaction_callbacks(self, interaction_id: int | str) -> list[RecordedRequest]:
        return self.requests_to("POST", f"/interactions/{interaction_id}/{{token}}/callback")

    def interaction_responses(self, interaction_id: int | str) -> list[dict[str, Any]]:
        """The bodies of the accepted callbacks for this interaction."""
        return [r.json for r in self.interaction_callbacks(interaction_id) if r.status < 300]

    def followups(self, interaction_id: int | str) -> list[RecordedRequest]:
        token = self.interactions[int(interaction_id)]["token"]
        return [
            r
            for r in self.requests_to("*", f"/webhooks/{self.application_id}/{token}")
            + self.requests_to("*", f"/webhooks/{self.application_id}/{token}/messages/{{mid}}")
        ]

    async def wait_for_interaction_response(
        self,
        interaction: int | str | Mapping[str, Any],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Wait for the (accepted) callback of an interaction and return its JSON body."""
        iid = interaction["id"] if isinstance(interaction, Mapping) else interaction
        rec = await self.wait_for_request(
            "POST",
            f"/interactions/{iid}/{{token}}/callback",
            timeout,
            predicate=lambda r: r.status < 300,
        )
        return rec.json

    # ------------------------------------------------------------ REST handlers

    async def _get_gateway(self, rec: RecordedRequest) -> Any:
        return {"url": self.gateway_url.rstrip("/")}

    async def _get_gateway_bot(self, rec: RecordedRequest) -> Any:
        return {
            "url": self.gateway_url.rstrip("/"),
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            },
        }

    async def _get_me(self, rec: RecordedRequest) -> Any:
        return {
            **self.bot.payload(),
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
            "email": None,
        }

    async def _get_application(self, rec: RecordedRequest) -> Any:
        return {
            "id": str(self.application_id),
            "name": "PeerLoop",
            "icon": None,
            "description": "Peer mock interviews that run themselves.",
            "summary": "",
            "type": None,
            "is_monetized": False,
            "is_verified": False,
            "is_discoverable": False,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": secrets.token_hex(32),
            "flags": self.application_flags,
            "hook": True,
            "owner": self.owner.payload(),
            "team": None,
            "bot": self.bot.payload(),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "tags": [],
            "install_params": {
                "scopes": ["bot", "applications.commands"],
                "permissions": str(ALL_PERMISSIONS_BOT),
            },
            "integration_types_config": {"0": {}},
            "approximate_guild_count": len(self.guilds),
            "approximate_user_install_count": 0,
        }

    def _command_store(self, guild_id: str | None) -> list[dict[str, Any]]:
        if guild_id is None:
            return self.global_commands
        return self.guild_commands.setdefault(int(guild_id), [])

    def _store_command(
        self, body: dict[str, Any], guild_id: str | None, existing: list[dict[str, Any]]
    ) -> dict[str, Any]:
        old = next(
            (
                c
                for c in existing
                if c["name"] == body.get("name") and c["type"] == body.get("type", 1)
            ),
            None,
        )
        command = {
            "id": old["id"] if old else str(self.snowflake()),
            "application_id": str(self.application_id),
            "version": str(self.snowflake()),
            "type": body.get("type", 1),
            "name": body.get("name"),
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description", ""),
            "description_localizations": body.get("description_localizations"),
            "options": body.get("options", []),
            "default_member_permissions": body.get("default_member_permissions"),
            "dm_permission": body.get("dm_permission", True),
            "nsfw": body.get("nsfw", False),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types", [0]),
        }
        if guild_id is not None:
            command["guild_id"] = guild_id
        return command

    async def _get_commands(
        self, rec: RecordedRequest, application_id: str, guild_id: str | None = None
    ) -> Any:
        if application_id != str(self.application_id):
            return 403, {"message": "Missing Access", "code": 50001}
        return self._command_store(guild_id)

    async def _put_commands(
        self, rec: RecordedRequest, application_id: str, guild_id: str | None = None
    ) -> Any:
        if application_id != str(self.application_id):
            return 403, {"message": "Missing Access", "code": 50001}
        if guild_id is not None and int(guild_id) not in self.guilds:
            return 403, {"message": "Missing Access", "code": 50001}
        store = self._command_store(guild_id)
        new = [self._store_command(body, guild_id, store) for body in rec.json or []]
        store[:] = new
        return new

    async def _post_command(
        self, rec: RecordedRequest, application_id: str, guild_id: str | None = None
    ) -> Any:
        store = self._command_store(guild_id)
        command = self._store_command(rec.json or {}, guild_id, store)
        store[:] = [c for c in store if c["id"] != command["id"]] + [command]
        return 201, command

    # messages -------------------------------------------------------------

    def _new_message(
        self, channel_id: int, body: Mapping[str, Any], files: Sequence[RecordedFile], **extra: Any
    ) -> dict[str, Any]:
        channel = self.channels.get(channel_id, {})
        attachments = []
        for i, f in enumerate(files):
            meta = next(
                (a for a in body.get("attachments") or [] if str(a.get("id")) == str(i)), {}
            )
            aid = self.snowflake()
            attachments.append(
                {
                    "id": str(aid),
                    "filename": meta.get("filename", f.filename),
                    "description": meta.get("description"),
                    "content_type": f.content_type or "application/octet-stream",
                    "size": len(f.data),
                    "url": f"{self.base_url}/attachments/{channel_id}/{aid}/{f.filename}",
                    "proxy_url": f"{self.base_url}/attachments/{channel_id}/{aid}/{f.filename}",
                    "ephemeral": bool((body.get("flags") or 0) & EPHEMERAL),
                }
            )
        message: dict[str, Any] = {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "type": 0,
            "author": self.bot.payload(),
            "content": body.get("content") or "",
            "timestamp": _iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments,
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "flags": int(body.get("flags") or 0),
            "nonce": body.get("nonce"),
        }
        if body.get("message_reference"):
            message["message_reference"] = body["message_reference"]
        if "guild_id" in channel:
            message["guild_id"] = channel["guild_id"]
        message.update(extra)
        self.messages.setdefault(channel_id, []).append(message)
        if channel:
            channel["last_message_id"] = message["id"]
        return message

    def _find_message(self, channel_id: int, message_id: int | str) -> dict[str, Any] | None:
        return next(
            (m for m in self.messages.get(channel_id, []) if m["id"] == str(message_id)), None
        )

    def find_message(self, message_id: int | str) -> dict[str, Any] | None:
        for msgs in self.messages.values():
            for m in msgs:
                if m["id"] == str(message_id):
                    return m
        return None

    @staticmethod
    def _apply_edit(
        message: dict[str, Any], body: Mapping[str, Any], files: Sequence[RecordedFile]
    ) -> None:
        for key in ("content", "embeds", "components", "flags"):
            if key in body and body[key] is not None:
                message[key] = body[key]
        if "attachments" in body and body["attachments"] is not None:
            keep = {str(a.get("id")) for a in body["attachments"]}
            message["attachments"] = [a for a in message["attachments"] if a["id"] in keep]
        message["edited_timestamp"] = _iso()

    async def _push_message_event(self, event: str, message: dict[str, Any]) -> None:
        session = self.session
        if session is None:
            return
        channel = self.channels.get(int(message["channel_id"]), {})
        wanted = INTENT_GUILD_MESSAGES if "guild_id" in channel else INTENT_DIRECT_MESSAGES
        if session.intents & wanted and not message["flags"] & EPHEMERAL:
            await self._emit(event, message)

    def _unknown(self, what: str) -> tuple[int, dict[str, Any]]:
        codes = {
            "Channel": 10003,
            "Message": 10008,
            "User": 10013,
            "Member": 10007,
            "Webhook": 10015,
            "interaction": 10062,
            "Guild": 10004,
        }
        return 404, {"message": f"Unknown {what}", "code": codes[what]}

    async def _post_message(self, rec: RecordedRequest, channel_id: str) -> Any:
        cid = int(channel_id)
        channel = self.channels.get(cid)
        if channel is None:
            return self._unknown("Channel")
        if channel["type"] == 1:
            recipient = int(channel["recipients"][0]["id"])
            if recipient in self.closed_dms or recipient in self.departed:
                return 403, {"message": "Cannot send messages to this user", "code": 50007}
        elif (refused := self.bot_refusal(cid, post=True)) is not None:
            return refused
        body = rec.json or {}
        if not (
            body.get("content")
            or body.get("embeds")
            or body.get("components")
            or rec.files
            or body.get("sticker_ids")
            or body.get("poll")
        ):
            return 400, {"message": "Cannot send an empty message", "code": 50006}
        message = self._new_message(cid, body, rec.files)
        await self._push_message_event("MESSAGE_CREATE", message)
        return message

    async def _get_message(self, rec: RecordedRequest, channel_id: str, message_id: str) -> Any:
        message = self._find_message(int(channel_id), message_id)
        return message if message is not None else self._unknown("Message")

    async def _patch_message(self, rec: RecordedRequest, channel_id: str, message_id: str) -> Any:
        if int(channel_id) not in self.channels:
            return self._unknown("Channel")
        if (refused := self.bot_refusal(channel_id)) is not None:
            return refused
        message = self._find_message(int(channel_id), message_id)
        if message is None:
            return self._unknown("Message")
        self._apply_edit(message, rec.json or {}, rec.files)
        await self._push_message_event("MESSAGE_UPDATE", message)
        return message

    async def _delete_message(self, rec: RecordedRequest, channel_id: str, message_id: str) -> Any:
        msgs = self.messages.get(int(channel_id), [])
        message = self._find_message(int(channel_id), message_id)
        if message is None:
            return self._unknown("Message")
        msgs.remove(message)
        return 204, None

    # channels, DMs, threads, events --------------------------------------

    async def _get_channel(self, rec: RecordedRequest, channel_id: str) -> Any:
        channel = self.channels.get(int(channel_id))
        if channel is None:
            return self._unknown("Channel")
        return self.bot_refusal(channel_id) or channel

    async def _get_user(self, rec: RecordedRequest, user_id: str) -> Any:
        user = self.users.get(int(user_id)) if user_id.isdigit() else None
        return user.payload() if user is not None else self._unknown("User")

    async def _get_guild(self, rec: RecordedRequest, guild_id: str) -> Any:
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            return self._unknown("Guild")
        if not self.bot_in(guild_id):
            return 403, {"message": "Missing Access", "code": 50001}
        payload = self._guild_create_payload(guild)
        for key in (
            "members",
            "channels",
            "threads",
            "presences",
            "voice_states",
            "joined_at",
            "large",
            "unavailable",
            "lazy",
            "member_count",
            "stage_instances",
            "guild_scheduled_events",
            "soundboard_sounds",
        ):
            payload.pop(key, None)
        return payload

    async def _get_guild_channels(self, rec: RecordedRequest, guild_id: str) -> Any:
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            return self._unknown("Guild")
        if not self.bot_in(guild_id):
            return 403, {"message": "Missing Access", "code": 50001}
        return [c for c in guild.channels if c["type"] not in (10, 11, 12)]

    async def _get_guild_roles(self, rec: RecordedRequest, guild_id: str) -> Any:
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            return self._unknown("Guild")
        return guild.roles

    async def _get_member(self, rec: RecordedRequest, guild_id: str, user_id: str) -> Any:
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            return self._unknown("Guild")
        if not user_id.isdigit() or int(user_id) not in guild.member_roles:
            return self._unknown("Member")
        return self.member_payload(guild, int(user_id))

    async def _open_dm(self, rec: RecordedRequest) -> Any:
        body = rec.json or {}
        try:
            uid = int(body.get("recipient_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return 400, {"message": "Invalid Form Body", "code": 50035}
        if uid not in self.users or uid == self.bot.id:
            return 400, {"message": "Invalid Recipient(s)", "code": 50033}
        cid = self.dm_channels.get(uid)
        if cid is None:
            cid = self.snowflake()
            self.dm_channels[uid] = cid
            self.channels[cid] = {
                "id": str(cid),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [self.users[uid].payload()],
            }
        return self.channels[cid]

    async def _create_thread(self, rec: RecordedRequest, channel_id: str) -> Any:
        parent = self.channels.get(int(channel_id))
        if parent is None:
            return self._unknown("Channel")
        body = rec.json or {}
        ttype = int(body.get("type", 12))
        if (refused := self.bot_refusal(channel_id, thread=True)) is not None:
            return refused
        if parent["type"] not in (0, 5) or ttype not in (10, 11, 12):
            return 400, {"message": "Invalid Form Body", "code": 50035}
        if not body.get("name"):
            return 400, {"message": "Invalid Form Body", "code": 50035}
        tid = self.snowflake()
        thread = {
            "id": str(tid),
            "type": ttype,
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "owner_id": str(self.bot.id),
            "name": body["name"],
            "last_message_id": None,
            "rate_limit_per_user": body.get("rate_limit_per_user") or 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration") or 4320,
                "archive_timestamp": _iso(),
                "locked": False,
                "create_timestamp": _iso(),
                **({"invitable": bool(body.get("invitable", True))} if ttype == 12 else {}),
            },
            "member": {
                "id": str(tid),
                "user_id": str(self.bot.id),
                "join_timestamp": _iso(),
                "flags": 0,
            },
        }
        self.channels[tid] = thread
        self.guilds[int(parent["guild_id"])].channels.append(thread)
        self.thread_members[tid] = {self.bot.id}
        session = self.session
        if session is not None and session.intents & INTENT_GUILDS:
            await self._emit("THREAD_CREATE", {**thread, "newly_created": True})
        return 201, thread

    async def _add_thread_member(self, rec: RecordedRequest, channel_id: str, user_id: str) -> Any:
        thread = self.channels.get(int(channel_id))
        if thread is None or thread["type"] not in (10, 11, 12):
            return self._unknown("Channel")
        guild = self.guilds[int(thread["guild_id"])]
        if int(user_id) not in guild.member_roles:
            return self._unknown("Member")
        self.thread_members.setdefault(int(channel_id), set()).add(int(user_id))
        thread["member_count"] = len(self.thread_members[int(channel_id)])
        return 204, None

    async def _create_scheduled_event(self, rec: RecordedRequest, guild_id: str) -> Any:
        if int(guild_id) not in self.guilds:
            return self._unknown("Guild")
        if not self.may_manage_events(guild_id):
            return 403, {"message": "Missing Permissions", "code": 50013}
        body = rec.json or {}
        event = {
            "id": str(self.snowflake()),
            "guild_id": guild_id,
            "channel_id": body.get("channel_id"),
            "creator_id": str(self.bot.id),
            "creator": self.bot.payload(),
            "name": body.get("name"),
            "description": body.get("description"),
            "scheduled_start_time": body.get("scheduled_start_time"),
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body.get("privacy_level", 2),
            "status": 1,
            "entity_type": body.get("entity_type"),
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": body.get("recurrence_rule"),
        }
        self.scheduled_events.setdefault(int(guild_id), []).append(event)
        return event

    # interactions ---------------------------------------------------------

    async def _callback(
        self, rec: RecordedRequest, interaction_id: str, interaction_token: str
    ) -> Any:
        entry = self.interactions.get(int(interaction_id))
        if entry is None or entry["token"] != interaction_token or entry.get("expired"):
            return self._unknown("interaction")
        if entry["responded"]:
            return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
        body = rec.json or {}
        ctype = body.get("type")
        payload = entry["payload"]
        if ctype not in _ALLOWED_CALLBACKS[payload["type"]]:
            return 400, {
                "message": "Invalid Form Body",
                "code": 50035,
                "errors": {
                    "type": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_CHOICES",
                                "message": "Value must be one of the allowed interaction callback types.",
                            }
                        ]
                    }
                },
            }
        entry["responded"], entry["response_type"] = True, ctype
        data = body.get("data") or {}
        channel_id = int(payload["channel"]["id"])
        message: dict[str, Any] | None = None
        metadata = {
            "interaction_metadata": {
                "id": str(payload["id"]),
                "type": payload["type"],
                "user": (payload.get("member") or {}).get("user") or payload.get("user"),
                "authorizing_integration_owners": payload.get("authorizing_integration_owners", {}),
            }
        }
        if ctype == 4:
            message = self._new_message(
                channel_id,
                data,
                rec.files,
                type=20 if payload["type"] == 2 else 19,
                application_id=str(self.application_id),
                webhook_id=str(self.application_id),
                **metadata,
            )
            entry["original"] = message
        elif ctype == 5:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            message = self._new_message(
                channel_id,
                {"flags": flags},
                [],
                type=20 if payload["type"] == 2 else 19,
                application_id=str(self.application_id),
                webhook_id=str(self.application_id),
                **metadata,
            )
            entry["original"] = message
        elif ctype in (6, 7):
            source = payload.get("message")
            stored = self.find_message(source["id"]) if source else None
            if stored is not None and ctype == 7:
                self._apply_edit(stored, data, rec.files)
            message = stored or source
            entry["original"] = message
        elif ctype == 8:
            entry["choices"] = data.get("choices", [])
        elif ctype == 9:
            entry["modal"] = data
        await self._notify()
        if rec.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        result: dict[str, Any] = {
            "interaction": {
                "id": str(payload["id"]),
                "type": payload["type"],
                "response_message_id": message["id"] if message else None,
                "response_message_loading": ctype == 5,
                "response_message_ephemeral": bool(message and message["flags"] & EPHEMERAL),
            },
            "resource": {"type": ctype},
        }
        if message is not None and ctype in (4, 5, 7):
            result["resource"]["message"] = message
        if message is None:
            del result["interaction"]["response_message_id"]
        return 200, result

    def _webhook_entry(self, webhook_id: str, webhook_token: str) -> dict[str, Any] | None:
        if webhook_id != str(self.application_id):
            return None
        iid = self._interactions_by_token.get(webhook_token)
        entry = None if iid is None else self.interactions[iid]
        return None if entry is None or entry.get("expired") else entry

    def _webhook_message(
        self, entry: dict[str, Any], message_id: str | None
    ) -> dict[str, Any] | None:
        if message_id is None:
            return entry.get("original")
        if entry.get("original") and entry["original"]["id"] == message_id:
            return entry["original"]
        return next((m for m in entry["followups"] if m["id"] == message_id), None)

    async def _get_webhook_message(
        self,
        rec: RecordedRequest,
        webhook_id: str,
        webhook_token: str,
        message_id: str | None = None,
    ) -> Any:
        entry = self._webhook_entry(webhook_id, webhook_token)
        if entry is None:
            return self._unknown("Webhook")
        message = self._webhook_message(entry, message_id)
        return message if message is not None else self._unknown("Message")

    async def _patch_webhook_message(
        self,
        rec: RecordedRequest,
        webhook_id: str,
        webhook_token: str,
        message_id: str | None = None,
    ) -> Any:
        entry = self._webhook_entry(webhook_id, webhook_token)
        if entry is None:
            return self._unknown("Webhook")
        message = self._webhook_message(entry, message_id)
        if message is None:
            return self._unknown("Message")
        body = rec.json or {}
        self._apply_edit(message, {k: v for k, v in body.items() if k != "flags"}, rec.files)
        message["flags"] &= ~LOADING
        if rec.files:
            fresh = self._new_message(int(message["channel_id"]), body, rec.files)
            self.messages[int(message["channel_id"])].remove(fresh)
            message["attachments"] = [*message["attachments"], *fresh["attachments"]]
        return message

    async def _delete_webhook_message(
        self,
        rec: RecordedRequest,
        webhook_id: str,
        webhook_token: str,
        message_id: str | None = None,
    ) -> Any:
        entry = self._webhook_entry(webhook_id, webhook_token)
        if entry is None:
            return self._unknown("Webhook")
        message = self._webhook_message(entry, message_id)
        if message is None:
            return self._unknown("Message")
        msgs = self.messages.get(int(message["channel_id"]), [])
        if message in msgs:
            msgs.remove(message)
        return 204, None

    async def _post_followup(
        self, rec: RecordedRequest, webhook_id: str, webhook_token: str
    ) -> Any:
        entry = self._webhook_entry(webhook_id, webhook_token)
        if entry is None or not entry["responded"]:
            return self._unknown("Webhook")
        body = rec.json or {}
        original = entry.get("original")
        if original is not None and original["flags"] & LOADING:
            # Discord turns the first followup after a deferred reply into that reply.
            self._apply_edit(original, {k: v for k, v in body.items() if k != "flags"}, rec.files)
            original["flags"] &= ~LOADING
            message = original
        else:
            channel_id = int(entry["payload"]["channel"]["id"])
            message = self._new_message(
                channel_id,
                body,
                rec.files,
                webhook_id=str(self.application_id),
                application_id=str(self.application_id),
            )
            entry["followups"].append(message)
        if rec.query.get("wait") in ("1", "true", "True"):
            return message
        return 204, None

    # ------------------------------------------------------- interaction builders

    def _resolve_guild(self, guild: FakeGuild | int | None) -> FakeGuild | None:
        if guild is None or isinstance(guild, FakeGuild):
            return guild
        return self.guilds[int(guild)]

    def _envelope(
        self,
        itype: int,
        user: int | str | FakeUser,
        guild: FakeGuild | int | None,
        channel: int | Mapping[str, Any] | None,
        data: dict[str, Any] | None,
        *,
        message: Mapping[str, Any] | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        member_user = self.user(user)
        g = self._resolve_guild(guild)
        if isinstance(channel, Mapping):
            channel_obj = dict(channel)
        elif channel is not None:
            channel_obj = dict(self.channels[int(channel)])
        elif g is not None:
            channel_obj = dict(g.text_channel)
        else:
            cid = self.dm_channels.get(member_user.id)
            if cid is None:
                cid = self.snowflake()
                self.dm_channels[member_user.id] = cid
                self.channels[cid] = {
                    "id": str(cid),
                    "type": 1,
                    "last_message_id": None,
                    "flags": 0,
                    "recipients": [member_user.payload()],
                }
            channel_obj = dict(self.channels[cid])
        iid = self.snowflake()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(96)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "token": token,
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": channel_obj["id"],
        }
        if data is not None:
            payload["data"] = data
        if g is not None:
            perms = g.permissions_of(member_user.id)
            channel_obj["permissions"] = str(perms)
            payload.update(
                guild_id=str(g.id),
                guild={"id": str(g.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=self.member_payload(g, member_user.id, with_permissions=True),
                app_permissions=str(g.permissions_of(self.bot.id)),
                authorizing_integration_owners={"0": str(g.id)},
                context=0,
            )
        else:
            channel_obj["permissions"] = str(DEFAULT_MEMBER_PERMISSIONS)
            payload.update(
                user=member_user.payload(),
                app_permissions=str(DEFAULT_MEMBER_PERMISSIONS),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        payload["channel"] = channel_obj
        if message is not None:
            payload["message"] = dict(message)
        self.interactions[iid] = {
            "payload": payload,
            "token": token,
            "responded": False,
            "followups": [],
        }
        self._interactions_by_token[token] = iid
        return payload

    def _find_command(
        self, name: str, guild: FakeGuild | None, ctype: int = 1
    ) -> dict[str, Any] | None:
        pools = ([self.guild_commands.get(guild.id, [])] if guild else []) + [self.global_commands]
        for pool in pools:
            for command in pool:
                if command["name"] == name and command.get("type", 1) == ctype:
                    return command
        return None

    def _build_options(
        self,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        defs: Sequence[Mapping[str, Any]],
        guild: FakeGuild | None,
        resolved: dict[str, Any],
        focused: str | None = None,
    ) -> list[dict[str, Any]]:
        if options is None:
            return []
        if not isinstance(options, Mapping):
            return [dict(o) for o in options]
        types = {d["name"]: d["type"] for d in defs}
        built = []
        for name, value in options.items():
            otype = types.get(name)
            if otype is None:
                otype = (
                    5
                    if isinstance(value, bool)
                    else 4
                    if isinstance(value, int)
                    else 10
                    if isinstance(value, float)
                    else 6
                    if isinstance(value, FakeUser)
                    else 3
                )
            if otype in (6, 9) and not (name == focused):
                user = self.user(value)
                value = str(user.id)
                resolved.setdefault("users", {})[value] = user.payload()
                if guild is not None and user.id in guild.member_roles:
                    member = self.member_payload(guild, user.id, with_permissions=True)
                    member.pop("user")
                    resolved.setdefault("members", {})[value] = member
            elif otype == 11 and not (name == focused):
                value = str(value)
                filename, data, content_type = self.cdn_files[value]
                url = f"{self.base_url}/attachments/{value}/{filename}"
                resolved.setdefault("attachments", {})[value] = {
                    "id": value,
                    "filename": filename,
                    "size": len(data),
                    "content_type": content_type,
                    "url": url,
                    "proxy_url": url,
                    "ephemeral": True,
                }
            elif otype == 7 and not (name == focused):
                value = str(value["id"] if isinstance(value, Mapping) else value)
                ch = self.channels[int(value)]
                resolved.setdefault("channels", {})[value] = {
                    k: ch[k]
                    for k in ("id", "type", "name", "parent_id", "thread_metadata")
                    if k in ch
                } | {"permissions": str(DEFAULT_MEMBER_PERMISSIONS)}
            option: dict[str, Any] = {"name": name, "type": otype, "value": value}
            if name == focused:
                option["focused"] = True
                option["value"] = str(value) if otype in (4, 10) else value
            built.append(option)
        return built

    def _command_data(
        self,
        guild: FakeGuild | None,
        name: str,
        options: Any,
        subcommand: str | Sequence[str],
        focused: str | None = None,
    ) -> dict[str, Any]:
        path = [subcommand] if isinstance(subcommand, str) else list(subcommand)
        command = self._find_command(name, guild)
        defs: Sequence[Mapping[str, Any]] = command.get("options", []) if command else []
        resolved: dict[str, Any] = {}
        # Walk down the subcommand path to find the leaf option definitions.
        chain: list[tuple[str, int]] = []
        for depth, part in enumerate(path):
            node = next((d for d in defs if d["name"] == part), None)
            kind = node["type"] if node else (2 if depth < len(path) - 1 else 1)
            chain.append((part, kind))
            defs = node.get("options", []) if node else []
        leaf = self._build_options(options, defs, guild, resolved, focused)
        for part, kind in reversed(chain):
            leaf = [{"name": part, "type": kind, "options": leaf}]
        data: dict[str, Any] = {
            "id": command["id"] if command else str(self.snowflake()),
            "name": name,
            "type": 1,
            "options": leaf,
        }
        if resolved:
            data["resolved"] = resolved
        if guild is not None and command is not None and "guild_id" in command:
            data["guild_id"] = str(guild.id)
        elif guild is not None and command is None:
            data["guild_id"] = str(guild.id)
        return data

    def slash_command(
        self,
        user: int | str | FakeUser,
        guild: FakeGuild | int | None,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *subcommand: str,
        channel: int | Mapping[str, Any] | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """An APPLICATION_COMMAND interaction as Discord sends it.

        ``options`` maps option names to values (types come from the synced command when it
        is known, else from the Python value; users given as :class:`FakeUser` or names are
        resolved); ``subcommand`` is the group/subcommand path, e.g. ``"session", "start"``.
        ``guild=None`` makes a DM interaction.
        """
        g = self._resolve_guild(guild)
        data = self._command_data(g, name, options, subcommand)
        return self._envelope(APPLICATION_COMMAND, user, g, channel, data, locale=locale)

    def autocomplete(
        self,
        user: int | str | FakeUser,
        guild: FakeGuild | int | None,
        name: str,
        options: Mapping[str, Any] | None,
        focused: str,
        *subcommand: str,
        channel: int | Mapping[str, Any] | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """An APPLICATION_COMMAND_AUTOCOMPLETE interaction; ``focused`` names the typed option."""
        g = self._resolve_guild(guild)
        data = self._command_data(g, name, options, subcommand, focused=focused)
        return self._envelope(AUTOCOMPLETE, user, g, channel, data, locale=locale)

    def _message_for(self, message: Mapping[str, Any] | int | str) -> dict[str, Any]:
        if isinstance(message, Mapping):
            return dict(message)
        found = self.find_message(message)
        if found is None:
            raise KeyError(f"no message {message} recorded by the fake")
        return found

    def _component_envelope(
        self, itype: int, user: Any, message: Any, data: dict[str, Any], guild: Any
    ) -> dict[str, Any]:
        msg = self._message_for(message)
        channel = self.channels.get(int(msg["channel_id"]))
        if guild is _FROM_MESSAGE:
            guild = int(msg["guild_id"]) if msg.get("guild_id") else None
        return self._envelope(
            itype, user, guild, channel or {"id": msg["channel_id"], "type": 0}, data, message=msg
        )

    def unstored_bot_message(
        self, channel_id: int, custom_id: str, label: str = "Go", *, posted: str = "2026-12-01"
    ) -> dict[str, Any]:
        """A message the bot posted with one button, as Discord would show it, that this fake
        does not hold (posted before a restart, or by another process): for presses on it."""
        return {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "components": [
                {
                    "type": 1,
                    "components": [{"type": 2, "style": 1, "label": label, "custom_id": custom_id}],
                }
            ],
            "flags": 0,
            "content": "",
            "author": self.bot.payload(),
            "attachments": [],
            "embeds": [],
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "mention_everyone": False,
            "tts": False,
            "timestamp": f"{posted}T00:00:00+00:00",
            "edited_timestamp": None,
            "type": 0,
        }

    def button_click(
        self,
        user: int | str | FakeUser,
        custom_id: str,
        message: Mapping[str, Any] | int | str,
        *,
        guild: Any = None,
    ) -> dict[str, Any]:
        """A MESSAGE_COMPONENT interaction for a button on ``message`` (a message dict or id)."""
        data = {"custom_id": custom_id, "component_type": 2}
        return self._component_envelope(
            MESSAGE_COMPONENT, user, message, data, _FROM_MESSAGE if guild is None else guild
        )

    def select(
        self,
        user: int | str | FakeUser,
        custom_id: str,
        values: Sequence[str],
        message: Mapping[str, Any] | int | str,
        *,
        component_type: int = 3,
        guild: Any = None,
    ) -> dict[str, Any]:
        """A MESSAGE_COMPONENT interaction for a select menu (type 3 string select by default)."""
        data: dict[str, Any] = {
            "custom_id": custom_id,
            "component_type": component_type,
            "values": list(values),
        }
        if component_type != 3:
            data["resolved"] = {}
        return self._component_envelope(
            MESSAGE_COMPONENT, user, message, data, _FROM_MESSAGE if guild is None else guild
        )

    def modal_submit(
        self,
        user: int | str | FakeUser,
        custom_id: str,
        components: Mapping[str, str] | Sequence[Mapping[str, Any]],
        *,
        guild: Any = _FIRST_GUILD,
        channel: int | Mapping[str, Any] | None = None,
        message: Mapping[str, Any] | int | str | None = None,
    ) -> dict[str, Any]:
        """A MODAL_SUBMIT interaction; ``components`` maps text-input custom_ids to values.

        ``guild`` defaults to the fake's first guild; ``None`` makes a DM interaction.
        Raw action rows (a list of dicts) are passed through unchanged.
        """
        if isinstance(components, Mapping):
            rows = [
                {
                    "type": 1,
                    "id": i * 2 + 1,
                    "components": [{"type": 4, "id": i * 2 + 2, "custom_id": k, "value": v}],
                }
                for i, (k, v) in enumerate(components.items())
            ]
        else:
            rows = [dict(c) for c in components]
        g = self.guild if guild is _FIRST_GUILD else self._resolve_guild(guild)
        data = {"custom_id": custom_id, "components": rows}
        msg = self._message_for(message) if message is not None else None
        return self._envelope(MODAL_SUBMIT, user, g, channel, data, message=msg)

    def expire(self, interaction: int | str | Mapping[str, Any]) -> None:
        """The interaction's time is up, as Discord has it: no first answer after 3 seconds
        (its callback answers 404 10062 Unknown interaction), and its token stops working 15
        minutes after it was created (followups and edits answer 404 10015 Unknown Webhook)."""
        iid = interaction["id"] if isinstance(interaction, Mapping) else interaction
        self.interactions[int(iid)]["expired"] = True

    async def interact(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Deliver an interaction built by the helpers as INTERACTION_CREATE; returns it."""
        await self.dispatch("INTERACTION_CREATE", dict(payload))
        return dict(payload)
