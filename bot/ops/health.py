"""``/healthz`` and ``/metrics``: what a container runtime, a load balancer and Prometheus ask.

``GET /healthz`` answers 200 with JSON when this process works: the database answers
``SELECT 1``, the step scheduler's sweep keeps running, and (when Discord runs here) the
gateway is connected; otherwise 503 with the reason of each failed check. ``GET /metrics`` is
the Prometheus text format (:mod:`bot.ops.metrics`).

When Slack runs in HTTP mode the two routes are served by the Slack server (``SLACK_HTTP_PORT``);
otherwise a small aiohttp server of their own listens on ``HEALTH_HOST:HEALTH_PORT``
(0.0.0.0:8080 by default). ``peerloop health`` asks whichever of the two runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import text

from bot.ops.metrics import CONTENT_TYPE, PrometheusMetrics
from bot.ops.roles import RolesError, resolve_roles
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import App
    from bot.scheduling.runtime import SchedulerRuntime

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
DATABASE_TIMEOUT = 5.0
#: The sweep counts as stalled when its next run is this many sweep intervals overdue.
STALLED_SWEEPS = 3


def slack_http_runs(settings: Settings) -> bool:
    """Whether the Slack face serves HTTP here (events, or the OAuth install pages): the
    ``slack-http`` role of this process (bot/ops/roles.py)."""
    try:
        return resolve_roles(settings).slack_http
    except RolesError:
        return False


def health_port(settings: Settings) -> int:
    return settings.slack_http_port if slack_http_runs(settings) else settings.health_port


class Monitor:
    """The health checks and metrics of one ``peerloop run`` process."""

    def __init__(
        self,
        app: App,
        runtime: SchedulerRuntime | None = None,
        metrics: PrometheusMetrics | None = None,
    ) -> None:
        self.app = app
        self.runtime = runtime
        #: The running Discord face (``bot.cogs.client.RunningDiscord``), when it runs here.
        self.discord: Any = None
        self.metrics = metrics or PrometheusMetrics()
        self.metrics.attach(app)
        self._runner: web.AppRunner | None = None
        self._lag: asyncio.Task[None] | None = None
        self.port: int | None = None

    def routes(self) -> list[web.RouteDef]:
        return [web.get(HEALTH_PATH, self.healthz), web.get(METRICS_PATH, self.metrics_page)]

    # -- checks ------------------------------------------------------------------------------

    async def check(self) -> dict[str, str]:
        """Each check's result: "ok", "not run here", or why it failed."""
        return {
            "database": await self._database(),
            "scheduler": self._scheduler(),
            "discord": self._discord(),
        }

    async def _database(self) -> str:
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT):
                async with self.app.db.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except TimeoutError:
            return f"no answer within {DATABASE_TIMEOUT:.0f} s"
        except Exception as exc:  # the class only: a message may hold the URL
            return f"unreachable ({type(exc).__name__})"
        return "ok"

    def _scheduler(self) -> str:
        runtime = self.runtime
        if runtime is None:
            return "not run here"
        if not runtime.started or not runtime.scheduler.running:
            return "not started"
        from bot.scheduling.runtime import SWEEP_JOB_ID

        job = runtime.scheduler.get_job(SWEEP_JOB_ID)
        if job is None or job.next_run_time is None:
            return "the sweep is not scheduled"
        overdue = datetime.now(UTC) - job.next_run_time
        if overdue > timedelta(seconds=STALLED_SWEEPS * runtime.sweep_seconds):
            return f"the sweep is {overdue.total_seconds():.0f} s overdue"
        return "ok"

    def _discord(self) -> str:
        running = self.discord
        if running is None:
            return "not run here"
        if running.task.done():
            return "the client stopped"
        client = running.client
        if client.is_closed() or not client.is_ready():
            return "the gateway is not connected"
        shards = getattr(client, "shards", None)
        if isinstance(shards, dict):  # an AutoShardedClient: every shard of this process
            down = sorted(shard_id for shard_id, info in shards.items() if info.is_closed())
            return f"shards {', '.join(map(str, down))} not connected" if down else "ok"
        ws = getattr(client, "ws", None)
        if ws is None or not getattr(ws, "open", False):
            return "the gateway is not connected"
        return "ok"

    # -- HTTP --------------------------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.Response:
        checks = await self.check()
        healthy = all(result in ("ok", "not run here") for result in checks.values())
        body = {"status": "ok" if healthy else "unavailable", "checks": checks}
        return web.json_response(body, status=200 if healthy else 503)

    async def metrics_page(self, request: web.Request) -> web.Response:
        with contextlib.suppress(
            Exception
        ):  # a database outage shows in /healthz; keep the last values
            await self.metrics.refresh(self.app)
        return web.Response(body=self.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    async def start(
        self,
        settings: Settings | None = None,
        *,
        host: str | None = None,
        port: int | None = None,
        serve: bool | None = None,
    ) -> None:
        """Start measuring the event loop's lag and, unless the Slack HTTP server has the routes
        (:func:`slack_http_runs`, or ``serve=False``), a server of its own on ``host:port``
        (default: the settings')."""
        self._lag = asyncio.get_running_loop().create_task(
            self.metrics.watch_loop_lag(), name="peerloop-loop-lag"
        )
        if serve is None:
            serve = settings is None or not slack_http_runs(settings)
        if not serve:
            assert settings is not None
            self.port = settings.slack_http_port
            return
        host = host if host is not None else (settings.health_host if settings else "127.0.0.1")
        port = port if port is not None else (settings.health_port if settings else 0)
        web_app = web.Application()
        web_app.add_routes(self.routes())
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])  # the port chosen when asked for 0
        log.info(
            "health and metrics: http://%s:%s%s and %s", host, self.port, HEALTH_PATH, METRICS_PATH
        )

    async def stop(self) -> None:
        if self._lag is not None:
            self._lag.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lag
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def check_command(settings: Settings, *, timeout: float = 5.0) -> int:
    """``peerloop health``: 0 when the local ``/healthz`` answers 200, else 1 (with the reason)."""
    url = f"http://127.0.0.1:{health_port(settings)}{HEALTH_PATH}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            print(response.read().decode("utf-8", "replace"))
            return 0
    except urllib.error.HTTPError as exc:
        print(exc.read().decode("utf-8", "replace"), file=sys.stderr)
    except OSError as exc:
        print(
            json.dumps({"status": "unreachable", "url": url, "error": type(exc).__name__}),
            file=sys.stderr,
        )
    return 1
