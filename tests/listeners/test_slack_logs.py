"""Nothing a member types on Slack reaches a log line, at ``LOG_LEVEL=DEBUG`` too.

slack_sdk and bolt write whole payloads at DEBUG: the Web API and response-URL clients every
request body (what PeerLoop sends members), the Socket Mode client every envelope it receives
(what members typed, feedback included), bolt every acknowledgement's body (a modal's errors
quote the answer they refuse). bolt sets its loggers' levels from the root logger's when the
app is built, so holding ``slack_bolt`` at INFO does not hold them. Here the process's own
logging set-up runs at DEBUG first, as ``peerloop run`` does, then the Slack face starts in
Socket Mode and over HTTP, and members type into commands and modals on both.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.logs import OWN_LOGGERS, PAYLOAD_LOGGERS, configure_logging
from bot.settings import Settings
from bot.storage.db import STATEMENT_LOGGERS
from tests.fakes.fake_slack import FakeSlack, SlackSender
from tests.fakes.fake_slack_socket import FakeSocketMode
from tests.listeners.test_slack import SECRET, listeners_done, responses
from tests.listeners.test_slack_onboarding import profile_values

#: A word no reply of PeerLoop holds: it marks what the member typed, to find it in the logs.
MARK = "Zqxjkv"
DANA, ERIN = "UDANA", "UERIN"


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The process's logging set-up at DEBUG (``configure_logging``), every record captured;
    the levels it set, and those bolt set from it, are put back afterwards."""
    names = [*PAYLOAD_LOGGERS, *STATEMENT_LOGGERS, *OWN_LOGGERS, "alembic", "apscheduler"]
    saved = {n: logging.getLogger(n).level for n in names}
    caplog.set_level(logging.DEBUG)
    configure_logging("DEBUG")
    try:
        yield caplog
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
        for name in list(logging.root.manager.loggerDict):
            if name.startswith(("slack_bolt", "slack_sdk")):
                logging.getLogger(name).setLevel(logging.NOTSET)


def marked(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return sorted(
        {
            (r.name, r.levelname)
            for r in caplog.records
            if MARK in r.getMessage() or MARK in (r.exc_text or "")
        }
    )


def interactive(fake: FakeSlack, user: str, view: dict[str, Any], values: Any) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": fake.team_id, "domain": fake.team_name},
        "user": {"id": user, "username": user.lower(), "team_id": fake.team_id},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "trigger-sock-view",
        "view": {**view, "id": "V1", "state": {"values": values}},
    }


async def test_at_debug_no_slack_library_logs_what_members_type(
    app: App, debug_logging: pytest.LogCaptureFixture
) -> None:
    from bot.listeners.slack import start_slack

    fake = FakeSlack()
    await fake.start()
    socket = FakeSocketMode(fake)
    await socket.start()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_app_token="xapp-1-A1-test",
        slack_api_base_url=fake.api_url,
        slack_http_port=0,
    )
    runner, stop = await start_slack(app, settings, host="127.0.0.1", http=True)
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
            send = SlackSender(session, url, SECRET, fake)
            # In Socket Mode: a command, then the profile form with a zone that is no zone.
            await socket.send("slash_commands", socket.command("T1", DANA, f"availability {MARK}"))
            await fake.wait_for(lambda: any(MARK in str(a) for a in fake.of("response_url")))
            await socket.send("slash_commands", socket.command("T1", DANA, ""))
            await fake.wait_for(lambda: fake.count("views.open") == 1)
            view = fake.of("views.open")[-1]["view"]
            ack = await socket.send(
                "interactive", interactive(fake, DANA, view, profile_values("other", MARK))
            )
            assert ack["payload"]["response_action"] == "errors", ack
            assert MARK in str(ack["payload"])  # the refusal quotes it, beside the input
            # Over HTTP: the same.
            status, _, key = await send.command(ERIN, f"availability {MARK}")
            assert status == 200
            await fake.wait_for(lambda: len(responses(fake, key)) == 1)
            status, answer = await send.submit(ERIN, view, profile_values("other", MARK))
            assert status == 200 and MARK in answer
            await listeners_done()
    finally:
        await stop()
        await socket.stop()
        await fake.stop()
    assert fake.invalid == []
    assert marked(debug_logging) == [], [
        r.getMessage()[:150] for r in debug_logging.records if MARK in r.getMessage()
    ]
