"""``/healthz`` and ``/metrics`` answered by the real aiohttp server, on a free localhost port."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.__main__ import _run
from bot.app import App
from bot.core.clock import FakeClock
from bot.ops.health import Monitor, check_command
from bot.scheduling.runtime import SchedulerRuntime
from bot.settings import Settings, sqlite_url_for
from bot.storage.db import Database
from tests.fakes.fake_slack import FakeSlack
from tests.scheduling.helpers import book_pairs


@pytest.fixture
async def monitor(chat_app: App) -> AsyncIterator[Monitor]:
    runtime = SchedulerRuntime(chat_app, sweep_seconds=0.5)
    watched = Monitor(chat_app, runtime)
    await watched.start(host="127.0.0.1", port=0)
    yield watched
    await watched.stop()
    await runtime.stop()


async def get(monitor: Monitor, path: str) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{monitor.port}{path}") as response,
    ):
        return response.status, response.headers["Content-Type"], await response.text()


def scrape(text: str) -> dict[str, tuple[str, dict[tuple[tuple[str, str], ...], float]]]:
    """Metric family name -> (type, {labels: value}) for every sample."""
    families: dict[str, tuple[str, dict[tuple[tuple[str, str], ...], float]]] = {}
    for family in text_string_to_metric_families(text):
        samples = {(s.name, *sorted(s.labels.items())): s.value for s in family.samples}
        families[family.name] = (family.type, samples)  # type: ignore[assignment]
    return families


def value(families: dict, family: str, sample: str, **labels: str) -> float:
    return families[family][1].get((sample, *sorted(labels.items())), 0.0)


async def test_healthz_reports_each_check(monitor: Monitor) -> None:
    status, content_type, body = await get(monitor, "/healthz")
    assert status == 503 and content_type.startswith("application/json")
    assert '"scheduler": "not started"' in body and '"database": "ok"' in body
    assert monitor.runtime is not None
    await monitor.runtime.start()
    status, _, body = await get(monitor, "/healthz")
    assert status == 200, body
    assert '"status": "ok"' in body and '"discord": "not run here"' in body


async def test_healthz_is_503_with_the_reason_when_the_database_is_unreachable(
    monitor: Monitor,
) -> None:
    assert monitor.runtime is not None
    await monitor.runtime.start()
    real = monitor.app.db
    monitor.app.db = Database("postgresql+asyncpg://peerloop:secret@127.0.0.1:9/nowhere")
    try:
        status, _, body = await get(monitor, "/healthz")
    finally:
        await monitor.app.db.dispose()
        monitor.app.db = real
    assert status == 503
    assert '"database": "unreachable (' in body and "secret" not in body
    # /metrics still answers (the gauges keep their last values)
    status, _, _ = await get(monitor, "/metrics")
    assert status == 200


def test_discord_check_follows_the_gateway() -> None:
    class Client:
        def __init__(self, ready: bool, open_: bool) -> None:
            self._ready, self.ws = ready, SimpleNamespace(open=open_)

        def is_ready(self) -> bool:
            return self._ready

        def is_closed(self) -> bool:
            return False

    class Task:
        def __init__(self, done: bool) -> None:
            self._done = done

        def done(self) -> bool:
            return self._done

    checks = Monitor.__new__(Monitor)
    checks.discord = SimpleNamespace(client=Client(True, True), task=Task(False))
    assert checks._discord() == "ok"
    checks.discord = SimpleNamespace(client=Client(True, False), task=Task(False))  # reconnecting
    assert checks._discord() == "the gateway is not connected"
    checks.discord = SimpleNamespace(client=Client(False, True), task=Task(False))
    assert checks._discord() == "the gateway is not connected"
    checks.discord = SimpleNamespace(client=Client(True, True), task=Task(True))
    assert checks._discord() == "the client stopped"


async def test_metrics_have_their_types_and_move_after_a_round_and_a_delivery(
    monitor: Monitor, chat_app: App, clock: FakeClock
) -> None:
    status, content_type, text = await get(monitor, "/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    before = scrape(text)
    expected = {
        "peerloop_steps": "counter",
        "peerloop_step_lateness_seconds": "histogram",
        "peerloop_steps_due": "gauge",
        "peerloop_outbox_deliveries": "counter",
        "peerloop_outbox_backlog": "gauge",
        "peerloop_round_duration_seconds": "histogram",
        "peerloop_round_requests": "histogram",
        "peerloop_round_pairs": "counter",
        "peerloop_handler_duration_seconds": "histogram",
        "peerloop_event_loop_lag_seconds": "gauge",
    }
    assert {name: before[name][0] for name in expected} == expected
    assert value(before, "peerloop_outbox_backlog", "peerloop_outbox_backlog") == 0

    await book_pairs(chat_app, members=4)  # four `/mock schedule` commands, then one round
    after_round = scrape((await get(monitor, "/metrics"))[2])
    assert (
        value(after_round, "peerloop_round_pairs", "peerloop_round_pairs_total", kind="scheduled")
        == 2
    )
    assert (
        value(
            after_round,
            "peerloop_round_duration_seconds",
            "peerloop_round_duration_seconds_count",
            kind="scheduled",
        )
        == 1
    )
    assert (
        value(
            after_round,
            "peerloop_handler_duration_seconds",
            "peerloop_handler_duration_seconds_count",
            face="console",
            kind="command",
            name="schedule",
        )
        == 4
    )
    backlog = value(after_round, "peerloop_outbox_backlog", "peerloop_outbox_backlog")
    assert backlog > 0  # the round's messages wait for delivery

    clock.advance(timedelta(days=3))  # past the sessions: every step is due
    assert (
        value(
            scrape((await get(monitor, "/metrics"))[2]), "peerloop_steps_due", "peerloop_steps_due"
        )
        > 0
    )
    await chat_app.tick()  # runs the steps and delivers the outbox
    after = scrape((await get(monitor, "/metrics"))[2])
    sent = value(
        after,
        "peerloop_outbox_deliveries",
        "peerloop_outbox_deliveries_total",
        platform="console",
        outcome="sent",
    )
    assert sent >= backlog
    assert value(after, "peerloop_outbox_backlog", "peerloop_outbox_backlog") == 0
    assert value(after, "peerloop_steps", "peerloop_steps_total", kind="start", outcome="done") == 2
    assert (
        value(after, "peerloop_steps", "peerloop_steps_total", kind="reminder", outcome="skipped")
        > 0
    )
    assert (
        value(
            after,
            "peerloop_step_lateness_seconds",
            "peerloop_step_lateness_seconds_count",
            kind="start",
        )
        == 2
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_peerloop_run_serves_health_and_metrics_on_the_slack_http_server(
    tmp_path: Path,
) -> None:
    """`peerloop run` with Slack in HTTP mode: /healthz and /metrics on SLACK_HTTP_PORT, next to
    /slack/events; `peerloop health` asks there; SIGINT stops it cleanly."""
    fake = FakeSlack()
    await fake.start()
    port = free_port()
    settings = Settings(
        _env_file=None,
        database_url=sqlite_url_for(tmp_path / "run.sqlite3"),  # type: ignore[call-arg]
        slack_bot_token="xoxb-test",
        slack_signing_secret="s3cret",
        slack_api_base_url=fake.api_url,
        slack_http_port=port,
        health_port=free_port(),
    )
    running = asyncio.create_task(_run(settings))
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        status, body = response.status, await response.json()
                    break
                except aiohttp.ClientConnectionError:
                    assert not running.done(), running
                    await asyncio.sleep(0.1)
            assert status == 200, body
            assert body["checks"] == {
                "database": "ok",
                "scheduler": "ok",
                "discord": "not run here",
            }
            async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                families = scrape(await response.text())
            assert families["peerloop_outbox_backlog"][0] == "gauge"
            assert families["process_resident_memory_bytes"][0] == "gauge"
            # nothing listens on HEALTH_PORT: the Slack server has the routes
            with pytest.raises(aiohttp.ClientConnectionError):
                await session.get(f"http://127.0.0.1:{settings.health_port}/healthz")
        assert await asyncio.to_thread(check_command, settings) == 0
    finally:
        os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C or `docker stop` (SIGTERM) does
        assert await asyncio.wait_for(running, 30) == 0
        await fake.stop()
    assert await asyncio.to_thread(check_command, settings) == 1  # nobody answers any more


async def test_forms_opened_and_submitted_are_counted_by_face_form_and_outcome(
    monitor: Monitor, chat_app: App
) -> None:
    from bot.core.actions import encode
    from bot.core.services.requests import SCHEDULE_OPEN
    from tests.conftest import ready_member

    def forms(families: dict, **labels: str) -> tuple[float, float, float]:
        return (
            value(
                families,
                "peerloop_forms_opened",
                "peerloop_forms_opened_total",
                face="console",
                **labels,
            ),
            value(
                families,
                "peerloop_forms_submitted",
                "peerloop_forms_submitted_total",
                face="console",
                outcome="accepted",
                **labels,
            ),
            value(
                families,
                "peerloop_forms_submitted",
                "peerloop_forms_submitted_total",
                face="console",
                outcome="refused",
                **labels,
            ),
        )

    before = scrape((await get(monitor, "/metrics"))[2])
    assert (
        before["peerloop_forms_opened"][0] == "counter"
        and before["peerloop_forms_submitted"][0] == "counter"
    )
    ann = await ready_member(chat_app, "ann")
    opened = await chat_app.router.act(ann, encode(SCHEDULE_OPEN))
    assert opened.form is not None
    await chat_app.router.act(
        ann, opened.form.action, {"type": "astrology", "role": "swap", "days": "7"}
    )
    await chat_app.router.act(
        ann, opened.form.action, {"type": "coding", "role": "swap", "days": "7"}
    )
    await chat_app.router.act(ann, encode(SCHEDULE_OPEN))
    await chat_app.router.run(ann, "help", {})  # neither opens nor sends a form
    after = scrape((await get(monitor, "/metrics"))[2])
    assert forms(after, form="schedule.submit") == (2, 1, 1)
    assert (
        sum(
            v
            for (name, *_), v in after["peerloop_forms_opened"][1].items()
            if name.endswith("_total")
        )
        == 2
    )
