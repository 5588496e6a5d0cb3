"""A local fake of Slack's Socket Mode websocket, for bolt's ``AsyncSocketModeHandler``.

The app calls ``apps.connections.open`` (with its app-level token) on the fake Web API, which
answers with this server's ``ws://`` URL; the app connects, the server says ``hello``, and
``send`` delivers an envelope (``slash_commands``, ``interactive`` or ``events_api``) the way
Slack does and returns the app's acknowledgement (``{"envelope_id": …, "payload": …}``).

Usage::

    socket = FakeSocketMode(fake)   # fake: a started FakeSlack
    await socket.start()            # sets fake.socket_url
    ack = await socket.send("slash_commands", socket.command("T1", "UALICE", "help"))
    await socket.stop()
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.fake_slack import BOT_USER, FakeSlack


class FakeSocketMode:
    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.connections: list[web.WebSocketResponse] = []
        #: every message the app sent over the socket (acknowledgements), in order
        self.received: list[dict[str, Any]] = []
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._connected = asyncio.Event()
        self._n = itertools.count(1)
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        url = f"ws://127.0.0.1:{self._runner.addresses[0][1]}/socket"
        self.fake.socket_url = url
        return url

    async def stop(self) -> None:
        for ws in self.connections:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self.connections),
                "connection_info": {"app_id": "A1"},
                "debug_info": {"host": "fake"},
            }
        )
        self._connected.set()
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            self.received.append(data)
            waiting = self._acks.pop(str(data.get("envelope_id")), None)
            if waiting is not None and not waiting.done():
                waiting.set_result(data)
        self.connections.remove(ws)
        return ws

    async def wait_connected(self, within: float = 5.0) -> None:
        await asyncio.wait_for(self._connected.wait(), within)

    async def send(
        self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0, within: float = 5.0
    ) -> dict[str, Any]:
        """Deliver one envelope on the newest connection; the app's acknowledgement."""
        await self.wait_connected(within)
        envelope_id = f"env-{next(self._n)}"
        ack: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = ack
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope.update(
                retry_attempt=retry_attempt, retry_reason="timeout" if retry_attempt else ""
            )
        await self.connections[-1].send_json(envelope)
        return await asyncio.wait_for(ack, within)

    # -- payloads as Slack sends them over the socket ---------------------------------------------

    def command(
        self, team_id: str, user_id: str, text: str, *, team_name: str = "acme"
    ) -> dict[str, Any]:
        n = next(self._n)
        return {
            "token": "legacy",
            "team_id": team_id,
            "team_domain": team_name,
            "channel_id": "C1",
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": "/mock",
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(f"{team_id}-sock-{n}"),
            "trigger_id": f"trigger-sock-{n}",
        }

    def event(self, team_id: str, event: dict[str, Any], event_id: str) -> dict[str, Any]:
        return {
            "token": "legacy",
            "team_id": team_id,
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": team_id,
                    "user_id": f"{BOT_USER}{team_id}",
                    "is_bot": True,
                    "enterprise_id": None,
                    "is_enterprise_install": False,
                }
            ],
        }
