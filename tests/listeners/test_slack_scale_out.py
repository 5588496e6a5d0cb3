"""The Slack face in HTTP mode in two processes behind a load balancer, state only in the
database: two bolt apps (two PeerLoop apps, as two processes have) on one database and one
fake Slack. A retried event reaching either is handled once; a member's commands and presses
alternate between them and behave as with one."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import pytest

from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.listeners.slack import start_slack
from bot.settings import Settings
from bot.storage.slack_events import SqlSlackEventLog
from tests.conftest import T0
from tests.fakes.fake_slack import FakeSlack, SlackSender
from tests.listeners.test_slack import (
    ALICE,
    BOB,
    SECRET,
    blob,
    community_id,
    listeners_done,
    responses,
)
from tests.listeners.test_slack_adversarial import HOME, event_body


@dataclass
class Node:
    app: App
    send: SlackSender


@dataclass
class Cluster:
    fake: FakeSlack
    nodes: tuple[Node, Node]
    clock: FakeClock


@pytest.fixture
async def cluster(database_url: str) -> AsyncIterator[Cluster]:
    fake = FakeSlack()
    await fake.start()
    clock = FakeClock(T0)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_app_token=None,
        slack_api_base_url=fake.api_url,
        slack_http_port=0,
    )
    apps, stops, nodes = [], [], []
    async with aiohttp.ClientSession() as session:
        for n in range(2):
            app = await build_app(database_url, clock=clock)
            runner, stop = await start_slack(app, settings, host="127.0.0.1")
            apps.append(app)
            stops.append(stop)
            port = runner.addresses[0][1]
            sender = SlackSender(session, f"http://127.0.0.1:{port}/slack/events", SECRET, fake)
            sender._n = itertools.count(1 + 10_000 * n)  # distinct response URLs per sender
            nodes.append(Node(app, sender))
        try:
            yield Cluster(fake, (nodes[0], nodes[1]), clock)
        finally:
            await listeners_done()
            for stop in stops:
                await stop()
            for app in apps:
                await app.close()
            await fake.stop()
    assert fake.invalid == []


async def answer(fake: FakeSlack, node: Node, user: str, text: str) -> dict:
    status, _, key = await node.send.command(user, text)
    assert status == 200
    await fake.wait_for(lambda: len(responses(fake, key)) == 1)
    return responses(fake, key)[0]


async def test_a_retried_event_is_handled_once_whichever_process_it_reaches(
    cluster: Cluster,
) -> None:
    fake, (a, b) = cluster.fake, cluster.nodes
    body = event_body(a, HOME, "Ev100")  # type: ignore[arg-type]
    assert (await a.send.post(body, "application/json"))[0] == 200
    await fake.wait_for(lambda: fake.count("views.publish") == 1)
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await b.send.post(body, "application/json", headers=retry))[0] == 200
    # The same event reaching both at the same moment (a retry racing a slow first answer).
    both = event_body(a, HOME, "Ev101")  # type: ignore[arg-type]
    results = await asyncio.gather(
        a.send.post(both, "application/json"), b.send.post(both, "application/json", headers=retry)
    )
    assert [status for status, _ in results] == [200, 200]
    await answer(fake, b, BOB, "help")  # something after them
    await asyncio.sleep(0.3)
    await listeners_done()
    assert fake.count("views.publish") == 2  # one per event
    # A new event still reaches its listener on either process.
    assert (await b.send.post(event_body(b, HOME, "Ev102"), "application/json"))[0] == 200  # type: ignore[arg-type]
    await fake.wait_for(lambda: fake.count("views.publish") == 3)


async def test_a_members_commands_and_presses_alternate_between_processes(cluster: Cluster) -> None:
    fake, (a, b) = cluster.fake, cluster.nodes
    for user, (first, second) in ((ALICE, (a, b)), (BOB, (b, a))):
        await answer(
            fake, first, user, "profile timezone:Europe/Berlin track:backend level:mid types:coding"
        )
        await answer(fake, second, user, "availability daily 08:00-22:00")
        assert "coding" in blob(await answer(fake, first, user, "schedule type:coding")).lower()
    # Both requests are seen by either process: one round (in a worker) pairs them.
    assert "coding" in blob(await answer(fake, b, ALICE, "upcoming")).lower()
    outcome = await a.app.matching.run_round(await community_id(a.app))
    assert len(outcome.sessions) == 1
    await a.app.tick()  # the worker delivers
    posts = [p for p in fake.of("chat.postMessage") if str(p["channel"]).startswith("G")]
    confirm = next(
        e["action_id"]
        for p in posts
        for block in p["blocks"]
        if block["type"] == "actions"
        for e in block["elements"]
        if e["action_id"].startswith("pl:session.confirm:")
    )
    channel, session_id = posts[0]["channel"], confirm.split(":")[2]  # …:<session>:<version>
    for user, node in ((ALICE, b), (BOB, a), (ALICE, a)):  # Alice's second press is a repeat
        status, _, key = await node.send.click(user, confirm, channel)
        assert status == 200
        await fake.wait_for(lambda key=key: len(responses(fake, key)) == 1)
    for node in (a, b):
        async with node.app.db.uow() as tx:
            session = await tx.sessions.get(session_id)
        assert session is not None and len(session.confirmed_by) == 2


async def test_event_ids_expire_and_are_swept(cluster: Cluster) -> None:
    app = cluster.nodes[0].app
    log = SqlSlackEventLog(app.db.engine, now=cluster.clock.now, sweep_every=2)
    assert await log.first_time("EvA") and not await log.first_time("EvA")
    cluster.clock.advance(timedelta(hours=2))
    assert await log.first_time("EvB")  # the second recorded: expired EvA is deleted meanwhile
    assert await log.first_time("EvA")  # forgotten after its hour (Slack stopped retrying long ago)
    assert await log.sweep() == 0


async def test_each_request_logs_under_its_own_request_id(
    cluster: Cluster,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.core.log_context import current

    fake, (a, _b) = cluster.fake, cluster.nodes
    seen: list[dict[str, str]] = []

    async def probe(actor: object, options: object) -> object:
        seen.append(dict(current()))
        logging.getLogger("bot.test").info("probe ran")
        from bot.core.messages import OutboundMessage

        return OutboundMessage(text="ok")

    declared, _handler = a.app.router._commands[("help",)]
    a.app.router.declare(declared, probe)  # type: ignore[arg-type]  # /mock help, probed
    with caplog.at_level(logging.INFO, logger="bot.test"):
        await answer(fake, a, ALICE, "help")
        await answer(fake, a, ALICE, "help")
    assert len(seen) == 2 and seen[0]["request"] != seen[1]["request"]
    assert all(s["request"].startswith("i-") and s["community"] and s["member"] for s in seen)


async def test_each_slack_request_gets_a_fresh_request_id_that_its_work_keeps() -> None:
    from bot.core.log_context import INTERACTION, current, log_context
    from bot.listeners.slack_events import with_request_id

    seen: list[tuple[str, str]] = []

    async def work() -> None:
        outer = current()["request"]
        with log_context(
            INTERACTION, community="c1", member="m1"
        ):  # the router, inside the event's work
            seen.append((outer, current()["request"]))

    with log_context(INTERACTION):  # whatever ran before on this task does not leak in
        for body in (
            {"type": "event_callback", "event_id": "Ev1"},
            {"type": "event_callback"},
            {"type": "block_actions"},
        ):
            await with_request_id(body, lambda: asyncio.create_task(work()))
    assert [outer[:2] for outer, _ in seen] == ["e-", "e-", "i-"]
    assert all(outer == inner for outer, inner in seen)  # the router kept the request's id
    assert len({outer for outer, _ in seen}) == 3
