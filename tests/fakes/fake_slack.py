"""A local fake of the Slack Web API (aiohttp on 127.0.0.1), plus helpers that send signed
requests to a bolt app the way Slack does.

Every Web API call, upload and response-URL post is recorded in ``calls`` as
``(method, args)``. Blocks and views are re-parsed with ``slack_sdk.models`` so anything
Slack would refuse for Block Kit limits is refused here too (``invalid_blocks``), and
listed in ``invalid``. ``fail_next(method, …)`` injects one failure (e.g. ``ratelimited``
with ``Retry-After``) before the method answers normally again. ``hold(method)`` keeps that
method's answers back until the returned event is set (to prove what an app does before and
after an answer). ``users.info`` answers with a profile: ``profiles[user_id]`` (display name,
real name), else a real name made from the id (``UALICE`` → ``Alice``).

Usage::

    fake = FakeSlack()
    await fake.start()                    # fake.api_url → give to AsyncWebClient(base_url=…)
    fake.fail_next("chat.postMessage", status=429, error="ratelimited", retry_after=0)
    await fake.wait_for(lambda: fake.count("views.open") == 1)
    await fake.stop()
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

BOT_USER = "UBOT"
#: Limits Slack enforces that ``slack_sdk.models`` does not check.
MESSAGE_BLOCKS_MAX = 50
MESSAGE_TEXT_MAX = 40_000
SECTION_FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000


def _check_sections(blocks: list[dict[str, Any]]) -> None:
    """Section blocks as Slack checks them: some text or fields, no empty text, at most 10
    fields of at most 2,000 characters each."""
    for block in blocks:
        if block.get("type") != "section":
            continue
        text, fields = block.get("text"), block.get("fields") or []
        if text is None and not fields:
            raise ValueError("a section needs text or fields")
        if text is not None and not str(text.get("text") or "").strip():
            raise ValueError("a section's text must not be empty")
        if len(fields) > SECTION_FIELDS_MAX:
            raise ValueError(f"a section may hold at most {SECTION_FIELDS_MAX} fields")
        for field in fields:
            if not 0 < len(str(field.get("text") or "")) <= FIELD_TEXT_MAX:
                raise ValueError(f"a field's text must be 1 to {FIELD_TEXT_MAX} characters")


class FakeSlack:
    def __init__(self, team_id: str = "T1", team_name: str = "acme") -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.invalid: list[tuple[str, str]] = []
        self.faults: dict[
            str, list[tuple[int, str, float | None, Callable[[dict[str, Any]], bool] | None]]
        ] = {}
        self.admins: set[str] = set()
        self.groups: dict[str, list[str]] = {}
        self.closed_dms: set[str] = set()
        #: Channels archived (or, for a group DM, closed for good): posting and updating there
        #: answers ``is_archived``.
        self.archived: set[str] = set()
        #: Members deactivated by an admin: opening a conversation with them answers
        #: ``user_disabled``.
        self.deactivated: set[str] = set()
        #: (method, bearer token or None) of every Web API call, in order
        self.tokens: list[tuple[str, str | None]] = []
        #: OAuth: the app's client id and secret oauth.v2.access accepts (see ``authorize``)
        self.oauth_client: tuple[str, str] | None = None
        self._codes: dict[str, dict[str, Any]] = {}
        self._issued: dict[str, dict[str, Any]] = {}
        #: Token rotation (an app with it turned on): access tokens live this many seconds and
        #: come with a refresh token, each usable once (``oauth.v2.access`` with
        #: ``grant_type=refresh_token``); None: tokens that never expire, no refresh tokens.
        self.rotation_seconds: int | None = None
        self._refresh: dict[str, str] = {}  # live refresh token -> the bot token it renews
        #: (method, token) of every call made with an issued token after it expired
        self.expired_uses: list[tuple[str, str]] = []
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        #: Files members picked in a modal's file input: id → (name, bytes); see ``share_file``.
        self.files: dict[str, tuple[str, bytes]] = {}
        #: (path, bearer token or None) of every file download
        self.downloads: list[tuple[str, str | None]] = []
        #: users.info profiles: user id -> {"display_name": …, "real_name": …}
        self.profiles: dict[str, dict[str, str]] = {}
        #: users.info ``tz``: user id -> IANA zone name (absent: no ``tz`` in the answer)
        self.zones: dict[str, str] = {}
        self.held: dict[str, asyncio.Event] = {}
        #: Socket Mode: the websocket URL ``apps.connections.open`` hands out (see
        #: ``tests/fakes/fake_slack_socket.py``); None: Socket Mode is not on.
        self.socket_url: str | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/files-pri/{file_id}/{name}", self._download)
        app.router.add_post("/response/{key}", self._response)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, key: str) -> str:
        return f"{self.url}/response/{key}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- test helpers --------------------------------------------------------------------------

    def workspace(self, team_id: str, team_name: str) -> Workspace:
        return Workspace(self, team_id, team_name)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        error: str = "ratelimited",
        retry_after: float | None = 0,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer the next call of ``method`` (whose arguments satisfy ``where``, if given) with
        ``error`` (and ``status``, and a ``Retry-After`` header unless ``retry_after`` is None)."""
        self.faults.setdefault(method, []).append((status, error, retry_after, where))

    def hold(self, method: str) -> asyncio.Event:
        """Answer ``method`` only once the returned event is set (the call is recorded at once)."""
        return self.held.setdefault(method, asyncio.Event())

    def of(self, method: str) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == method]

    def count(self, method: str) -> int:
        return len(self.of(method))

    async def wait_for(self, condition: Callable[[], bool], within: float = 60.0) -> None:
        """Wait until ``condition()`` holds (generous: the time only matters when a test fails)."""
        deadline = asyncio.get_running_loop().time() + within
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out; calls so far: {[name for name, _ in self.calls]}")
            await asyncio.sleep(0.02)

    # -- the wire ------------------------------------------------------------------------------

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        for key in ("blocks", "view", "file_uploads", "files"):
            if isinstance(args.get(key), str):
                try:
                    args[key] = json.loads(args[key])
                except ValueError:
                    pass
        return args

    def _validate(self, method: str, args: dict[str, Any]) -> str | None:
        try:
            if "blocks" in args and args["blocks"] is not None:
                if len(args["blocks"]) > MESSAGE_BLOCKS_MAX:
                    raise ValueError(f"a message may hold at most {MESSAGE_BLOCKS_MAX} blocks")
                for block in Block.parse_all(args["blocks"]):
                    block.to_dict()
                _check_sections(args["blocks"])
            if isinstance(args.get("view"), dict):
                View(**args["view"]).to_dict()
                _check_sections(args["view"].get("blocks") or [])
            if len(str(args.get("text") or "")) > MESSAGE_TEXT_MAX:
                raise ValueError(f"a message's text may be at most {MESSAGE_TEXT_MAX} characters")
        except Exception as exc:
            self.invalid.append((method, str(exc)))
            return str(exc)
        return None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        self.calls.append((method, args))
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else args.get("token")
        self.tokens.append((method, token))
        if method in self.held:
            await self.held[method].wait()
        if (
            token in self._issued
            and self._issued[token].get("expires_at", float("inf")) < time.time()
        ):
            self.expired_uses.append((method, str(token)))
            return web.json_response({"ok": False, "error": "token_expired"})
        if method == "oauth.v2.access" or (method == "auth.test" and token in self._issued):
            return web.json_response(self._oauth_answer(method, args, auth, token))
        fault = next((f for f in self.faults.get(method, []) if f[3] is None or f[3](args)), None)
        if fault is not None:
            self.faults[method].remove(fault)
            status, error, retry_after, _ = fault
            headers = {"Retry-After": str(int(retry_after))} if retry_after is not None else {}
            return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
        if self._validate(method, args):
            return web.json_response({"ok": False, "error": "invalid_blocks"})
        return web.json_response(self._answer(method, args))

    # -- OAuth installs (several workspaces) ------------------------------------------------------

    def authorize(
        self,
        team_id: str,
        team_name: str,
        *,
        installer: str = "UINSTALLER",
        scopes: tuple[str, ...] = ("commands", "chat:write"),
        enterprise_id: str | None = None,
    ) -> str:
        """What Slack does when an admin of ``team_id`` presses Allow: a one-time code for
        the app's redirect URL."""
        code = f"code-{team_id}-{next(self._ts)}"
        self._codes[code] = {
            "team_id": team_id,
            "team_name": team_name,
            "installer": installer,
            "scopes": scopes,
            "enterprise_id": enterprise_id,
        }
        return code

    def token_of(self, team_id: str) -> str | None:
        """The newest live bot token issued to ``team_id``."""
        live = [
            t
            for t, grant in self._issued.items()
            if grant["team_id"] == team_id and not grant["revoked"]
        ]
        return live[-1] if live else None

    def uninstall(self, team_id: str) -> None:
        """The workspace removes the app: its tokens stop working."""
        for grant in self._issued.values():
            if grant["team_id"] == team_id:
                grant["revoked"] = True

    def _oauth_answer(
        self, method: str, args: dict[str, Any], auth: str, token: str | None
    ) -> dict[str, Any]:
        if method == "auth.test":
            grant = self._issued[str(token)]
            if grant["revoked"]:
                return {"ok": False, "error": "invalid_auth"}
            return {
                "ok": True,
                "user_id": f"UBOT{grant['team_id']}",
                "bot_id": f"B{grant['team_id']}",
                "team_id": grant["team_id"],
                "team": grant["team_name"],
                "is_enterprise_install": False,
                "enterprise_id": grant["enterprise_id"],
                "url": f"https://{grant['team_name']}.slack.com/",
            }
        client = (args.get("client_id"), args.get("client_secret"))
        if auth.startswith("Basic "):
            client = tuple(base64.b64decode(auth[len("Basic ") :]).decode().split(":", 1))  # type: ignore[assignment]
        if self.oauth_client is None or client != self.oauth_client:
            return {"ok": False, "error": "invalid_client_id"}
        if args.get("grant_type") == "refresh_token":
            return self._refreshed(str(args.get("refresh_token")))
        grant = self._codes.pop(str(args.get("code")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        bot_token, rotating = self._issue(grant)
        enterprise = (
            {"id": grant["enterprise_id"], "name": "Org"} if grant["enterprise_id"] else None
        )
        return {
            "ok": True,
            "app_id": "A1",
            "authed_user": {"id": grant["installer"]},
            "scope": ",".join(grant["scopes"]),
            "token_type": "bot",
            "access_token": bot_token,
            **rotating,
            "bot_user_id": f"UBOT{grant['team_id']}",
            "team": {"id": grant["team_id"], "name": grant["team_name"]},
            "enterprise": enterprise,
            "is_enterprise_install": False,
        }

    def _issue(self, grant: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """A bot token for ``grant``; with rotation on, also its refresh token and lifetime."""
        if self.rotation_seconds is None:
            bot_token = f"xoxb-{grant['team_id']}-{next(self._ts)}"
            self._issued[bot_token] = {**grant, "revoked": False}
            return bot_token, {}
        bot_token = f"xoxe.xoxb-{grant['team_id']}-{next(self._ts)}"
        refresh = f"xoxe-1-{grant['team_id']}-{next(self._ts)}"
        self._issued[bot_token] = {
            **grant,
            "revoked": False,
            "expires_at": time.time() + self.rotation_seconds,
        }
        self._refresh[refresh] = bot_token
        return bot_token, {"refresh_token": refresh, "expires_in": self.rotation_seconds}

    def _refreshed(self, refresh: str) -> dict[str, Any]:
        """``oauth.v2.access`` with ``grant_type=refresh_token``: a new bot token and a new
        refresh token; the old refresh token stops working (the old bot token lives on until
        it expires, as Slack's does)."""
        old = self._refresh.pop(refresh, None)
        if old is None or self._issued[old]["revoked"]:
            return {"ok": False, "error": "invalid_refresh_token"}
        grant = {k: v for k, v in self._issued[old].items() if k not in ("revoked", "expires_at")}
        bot_token, rotating = self._issue(grant)
        return {
            "ok": True,
            "app_id": "A1",
            "token_type": "bot",
            "access_token": bot_token,
            **rotating,
            "scope": ",".join(grant["scopes"]),
            "bot_user_id": f"UBOT{grant['team_id']}",
            "team": {"id": grant["team_id"], "name": grant["team_name"]},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def refresh_uses(self) -> list[str]:
        """The refresh tokens sent to ``oauth.v2.access``, in order."""
        return [
            str(a.get("refresh_token"))
            for a in self.of("oauth.v2.access")
            if a.get("grant_type") == "refresh_token"
        ]

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ok: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            return {
                **ok,
                "user_id": BOT_USER,
                "bot_id": "B1",
                "team_id": self.team_id,
                "team": self.team_name,
                "url": f"https://{self.team_name}.slack.com/",
            }
        if method == "apps.connections.open":
            return (
                {**ok, "url": self.socket_url}
                if self.socket_url
                else {"ok": False, "error": "not_allowed"}
            )
        if method == "conversations.open":
            users = sorted(str(args.get("users", "")).split(","))
            if self.deactivated & set(users):
                return {"ok": False, "error": "user_disabled"}
            if len(users) == 1:
                if users[0] in self.closed_dms:
                    return {"ok": False, "error": "cannot_dm_bot"}
                return {**ok, "channel": {"id": f"D{users[0]}"}}
            return {
                **ok,
                "channel": {
                    "id": "G" + hashlib.sha1(",".join(users).encode()).hexdigest()[:8].upper()
                },
            }
        if method in ("chat.postMessage", "chat.update") and args.get("channel") in self.archived:
            return {"ok": False, "error": "is_archived"}
        if method == "chat.postMessage":
            args["answered_ts"] = f"{next(self._ts)}.000100"  # recorded: a test presses its buttons
            return {**ok, "channel": args.get("channel"), "ts": args["answered_ts"]}
        if method == "chat.update":
            if not args.get("channel") or not args.get("ts"):
                return {"ok": False, "error": "message_not_found"}
            return {
                **ok,
                "channel": args.get("channel"),
                "ts": args.get("ts"),
                "text": args.get("text"),
            }
        if method == "chat.postEphemeral":
            return {**ok, "message_ts": f"{next(self._ts)}.000200"}
        if method in ("views.open", "views.publish", "views.update"):
            return {**ok, "view": {**(args.get("view") or {}), "id": f"V{next(self._ts)}"}}
        if method == "users.info":
            user = str(args.get("user"))
            profile = self.profiles.get(user, {"display_name": "", "real_name": user[1:].title()})
            found = {
                "id": user,
                "name": user.lower(),
                "real_name": profile.get("real_name", ""),
                "profile": profile,
                "is_admin": user in self.admins,
                "is_owner": False,
            }
            if user in self.zones:
                found["tz"] = self.zones[user]
            return {**ok, "user": found}
        if method == "usergroups.users.list":
            return {**ok, "users": self.groups.get(str(args.get("usergroup")), [])}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts)}"
            return {**ok, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            return {
                **ok,
                "files": [{"id": f["id"], "title": f.get("title")} for f in args.get("files", [])],
            }
        if method == "files.info" and str(args.get("file")) in self.files:
            file_id = str(args.get("file"))
            name, data = self.files[file_id]
            url = f"{self.url}/files-pri/{file_id}/{name}"
            return {
                **ok,
                "file": {
                    "id": file_id,
                    "name": name,
                    "size": len(data),
                    "url_private": url,
                    "url_private_download": url,
                },
            }
        if method == "files.info":
            return {**ok, "file": {"id": args.get("file")}}
        return {"ok": False, "error": "unknown_method"}

    def share_file(self, name: str, data: bytes) -> dict[str, Any]:
        """A file a member picked in a file input: the entry Slack puts in the view's state."""
        file_id = f"F{next(self._ts)}"
        self.files[file_id] = (name, data)
        return {"id": file_id, "name": name, "size": len(data)}

    async def _download(self, request: web.Request) -> web.Response:
        """``url_private_download``: only with a bot token, as Slack serves private files."""
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        self.downloads.append((request.path, token))
        found = self.files.get(request.match_info["file_id"])
        if not token or found is None or found[0] != request.match_info["name"]:
            return web.Response(status=404, text="file_not_found")
        return web.Response(body=found[1])

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        self.calls.append(
            ("upload", {"file_id": request.match_info["file_id"], "size": len(data), "data": data})
        )
        return web.Response(text=f"OK - {len(data)}")

    async def _response(self, request: web.Request) -> web.Response:
        args = await request.json()
        self.calls.append(("response_url", {"key": request.match_info["key"], **args}))
        faults = self.faults.get("response_url")  # ``fail_next("response_url", …)``
        if faults:
            status, error, _ = faults.pop(0)
            return web.Response(status=status, text=error)
        if self._validate("response_url", args):
            return web.Response(status=400, text="invalid_blocks")
        return web.Response(text="ok")


# -- requests as Slack sends them ----------------------------------------------------------------


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """The X-Slack-Signature and timestamp headers for ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class Workspace:
    """One more workspace on the same fake, for :class:`SlackSender`: ``SlackSender(…,
    fake.workspace("T2", "globex"))`` sends as team T2; its response URLs are recorded
    under the key ``"T2-" + key``."""

    def __init__(self, fake: FakeSlack, team_id: str, team_name: str) -> None:
        self.fake = fake
        self.team_id = team_id
        self.team_name = team_name

    def response_url(self, key: str) -> str:
        return self.fake.response_url(f"{self.team_id}-{key}")


class SlackSender:
    """Posts signed slash commands, interactions and events to a bolt app's URL."""

    def __init__(
        self, session: aiohttp.ClientSession, url: str, secret: str, fake: FakeSlack | Workspace
    ) -> None:
        self.session = session
        self.url = url
        self.secret = secret
        self.fake = fake
        self._n = itertools.count(1)

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        all_headers = {
            "Content-Type": content_type,
            **sign(secret or self.secret, body, timestamp),
            **(headers or {}),
        }
        async with self.session.post(self.url, data=body.encode(), headers=all_headers) as resp:
            return resp.status, await resp.text()

    def user(self, user_id: str) -> dict[str, str]:
        return {
            "id": user_id,
            "name": user_id.lower(),
            "username": user_id.lower(),
            "team_id": self.fake.team_id,
        }

    def team(self) -> dict[str, str]:
        return {"id": self.fake.team_id, "domain": self.fake.team_name}

    def command_body(self, user_id: str, text: str, channel: str = "C1") -> tuple[str, str]:
        n = next(self._n)
        body = urlencode(
            {
                "token": "legacy",
                "team_id": self.fake.team_id,
                "team_domain": self.fake.team_name,
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user_id,
                "user_name": user_id.lower(),
                "command": "/mock",
                "text": text,
                "api_app_id": "A1",
                "trigger_id": f"trigger-{n}",
                "response_url": self.fake.response_url(f"cmd-{n}"),
            }
        )
        return body, f"cmd-{n}"

    async def command(self, user_id: str, text: str, **kw: Any) -> tuple[int, str, str]:
        body, key = self.command_body(user_id, text)
        status, answer = await self.post(body, "application/x-www-form-urlencoded", **kw)
        return status, answer, key

    async def interaction(self, payload: dict[str, Any], **kw: Any) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", **kw)

    async def click(
        self,
        user_id: str,
        action_id: str,
        channel: str,
        *,
        message: dict[str, Any] | None = None,
        ephemeral: bool = False,
        **kw: Any,
    ) -> tuple[int, str, str]:
        """A button press; ``message``: the posted message it is on (``chat.postMessage``'s args and
        ``ts``), sent as Slack sends it (``message`` and ``container.message_ts``); ``ephemeral``:
        the press comes from an ephemeral message (``container.is_ephemeral``, no ``message``)."""
        n = next(self._n)
        key = f"act-{n}"
        container: dict[str, Any] = {"type": "message", "channel_id": channel}
        if ephemeral or message is not None:
            container["is_ephemeral"] = ephemeral
        payload = {
            "type": "block_actions",
            "team": self.team(),
            "user": self.user(user_id),
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": f"trigger-{n}",
            "response_url": self.fake.response_url(key),
            "channel": {"id": channel, "name": "mpdm"},
            "container": container,
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b1",
                    "value": action_id,
                    "action_ts": "1.0",
                    "text": {"type": "plain_text", "text": "x"},
                }
            ],
        }
        if message is not None:
            ts = message.get("ts") or message["answered_ts"]
            container["message_ts"] = ts
            payload["message"] = {
                "type": "message",
                "user": BOT_USER,
                "ts": ts,
                "text": message.get("text", ""),
                "blocks": message.get("blocks", []),
            }
        status, text = await self.interaction(payload, **kw)
        return status, text, key

    async def home_click(
        self,
        user_id: str,
        action_id: str,
        *,
        text: str = "press",
        trigger_id: str = "trigger-home",
        block_id: str = "b1",
        **kw: Any,
    ) -> tuple[int, str]:
        """A press of the button ``action_id`` (labelled ``text``) on the member's App Home, sent
        as Slack sends it (a ``home`` view, no ``response_url``)."""
        payload = {
            "type": "block_actions",
            "team": self.team(),
            "user": self.user(user_id),
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": trigger_id,
            "view": {"type": "home", "id": "VH"},
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": action_id,
                    "action_ts": "1.0",
                    "text": {"type": "plain_text", "text": text},
                }
            ],
        }
        return await self.interaction(payload, **kw)

    async def submit(
        self, user_id: str, view: dict[str, Any], values: dict[str, Any], **kw: Any
    ) -> tuple[int, str]:
        payload = {
            "type": "view_submission",
            "team": self.team(),
            "user": self.user(user_id),
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": f"trigger-{next(self._n)}",
            "view": {**view, "id": "V1", "state": {"values": values}},
        }
        return await self.interaction(payload, **kw)

    async def event(self, event: dict[str, Any], **kw: Any) -> tuple[int, str]:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": self.fake.team_id,
                "api_app_id": "A1",
                "type": "event_callback",
                "event": event,
                "event_id": f"Ev{next(self._n)}",
                "event_time": int(time.time()),
                "authorizations": [
                    {"team_id": self.fake.team_id, "user_id": BOT_USER, "is_bot": True}
                ],
            }
        )
        return await self.post(body, "application/json", **kw)
