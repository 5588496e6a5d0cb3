"""``LOG_FORMAT=json``: a whole session's log, one JSON object per line, without user text."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.messages import TextInput, Tone
from bot.core.models import Platform
from bot.core.vocab import InterviewType, Level
from bot.logs import configure_logging
from bot.ops.logs import JsonFormatter
from tests.fakes.fake_chat import FakeChat
from tests.feedback_helpers import fill

#: In every member's display name and in the feedback they write.
MARK = "Zebedee"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    own = logging.getLogger("bot")  # an earlier test's configure_logging may have set it
    level, own_level = root.level, own.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # LOG_LEVEL's default
    own.setLevel(logging.NOTSET)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        own.setLevel(own_level)


def lines(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


async def test_a_whole_session_logs_no_user_text(
    chat_app: App,
    chat: FakeChat,
    clock: FakeClock,
    json_log: io.StringIO,
) -> None:
    actors = []
    for handle in ("quinn", "rowan"):
        actor = await chat_app.actors.resolve(
            Platform.CONSOLE, "local", f"{MARK} club", handle, f"{handle.title()} {MARK}"
        )
        await chat_app.profiles.set_profile(
            actor,
            timezone="Europe/Berlin",
            track="backend",
            level=Level.MID,
            interview_types=(InterviewType.CODING,),
        )
        await chat_app.profiles.set_availability(actor, "daily 08:00-22:00")
        reply = await chat_app.router.run(actor, "schedule", {"type": "coding", "role": "swap"})
        assert reply.tone is not Tone.ERROR, reply.text
        actors.append(actor)
    chat.closed_dms.add("rowan")  # deliveries retry and fall back: their errors name the member
    outcome = await chat_app.matching.run_round(actors[0].community.id)
    assert len(outcome.sessions) == 1
    session = outcome.sessions[0]
    await chat_app.tick()
    clock.set(session.start + timedelta(minutes=session.minutes + 1))  # start, swap and end are due
    await chat_app.tick()
    quinn = actors[0]
    opened = await chat_app.router.act(quinn, f"pl:feedback.open:{session.id}")
    assert opened.form is not None, opened.text
    written = {
        item.id: f"{MARK} explained the trade-offs well"
        for item in opened.form.inputs
        if isinstance(item, TextInput)
    }
    assert written
    submitted = await chat_app.router.act(quinn, opened.form.action, fill(opened.form, **written))
    assert submitted.tone is not Tone.ERROR, submitted.text
    clock.advance(timedelta(hours=80))  # reminders, then the feedback window closes
    await chat_app.tick()
    # a log call that quotes user text in its arguments and its exception
    try:
        raise ValueError(f"{MARK} typed this")
    except ValueError:
        logging.getLogger("bot.example").exception(
            "member %s said %r", quinn.member.display_name, f"hi from {MARK}"
        )

    logged = lines(json_log)
    assert len(logged) >= 3, logged  # the session did log (skipped steps), then the example
    assert all({"time", "level", "logger", "message"} <= set(line) for line in logged)
    assert MARK not in json_log.getvalue()
    example = logged[-1]
    assert example["message"] == "member <text> said '<text>'"
    assert example["exception"] == "ValueError" and example["where"].startswith(
        "test_json_logs.py:"
    )
    assert any(line["message"].startswith("skipped reminder session:") for line in logged)
    # Each step's lines carry a request id of their own and the step's community; none of the
    # session's lines has a request id outside the work that wrote it.
    steps = [line for line in logged if line["message"].startswith("skipped ")]
    assert all(
        line["request"].startswith("s-") and line["community"] == quinn.community.id
        for line in steps
    )
    assert len({line["request"] for line in steps}) == len(steps)
    assert "request" not in example  # logged outside any request


async def test_request_ids_follow_the_work_into_tasks_and_threads() -> None:
    import asyncio

    from bot.core.log_context import STEP, bind, current, log_context

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("bot.ctx")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with log_context(STEP, fresh=True) as first:
            bind(community="c1")
            logger.info("on the loop")
            await asyncio.to_thread(logger.info, "on a thread")
            await asyncio.create_task(asyncio.sleep(0, logger.info("in a task")))  # type: ignore[func-returns-value]
            with log_context("i", member="m1") as inner:  # nested work keeps the request id
                assert inner == first
                logger.info("nested")
            with log_context(STEP, fresh=True) as other:
                assert other != first and "community" not in current()
        assert current() == {}
        logger.info("outside")
    finally:
        logger.removeHandler(handler)
    logged = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line.get("request") for line in logged] == [first] * 4 + [None]
    assert [line.get("community") for line in logged] == ["c1"] * 4 + [None]
    assert logged[3]["member"] == "m1" and "member" not in logged[0]


def test_context_fields_and_identifiers_stay() -> None:
    record = logging.LogRecord(
        "bot.x",
        logging.INFO,
        __file__,
        1,
        "step %s ran %d times in %s",
        ("session:abc123:start", 3, "5 minutes"),
        None,
    )
    record.community = "c0ffee"
    record.incident = "INC-42"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "step session:abc123:start ran 3 times in <text>"
    assert (line["community"], line["incident"]) == ("c0ffee", "INC-42")


def test_log_format_setting_picks_the_formatter() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("INFO", "json")
        assert isinstance(root.handlers[-1].formatter, JsonFormatter)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
