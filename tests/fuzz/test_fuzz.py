"""Property-based fuzzing of every entry point a member or an admin can reach.

Every command with every option, every action id, every form field, the admin command
set, the command-text parser and the console, with generated input (long, odd, hostile).
For each: the reply is a valid message every face can render, never an exception (the
router's boundary reports none), a refusal says what is accepted, and a refusal changes
nothing in the database (a dump of every table before and after).

``HYPOTHESIS_PROFILE=long`` (``make fuzz``) runs 10,000 examples per test.
"""

from __future__ import annotations

import io
import shlex
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import SQLModel

import bot.console.face as console_module
import bot.core.commands as commands_module
from bot.adapters import discord_forms, discord_render, slack_render
from bot.app import App, build_app
from bot.console.chat import ConsoleChat, render_text
from bot.console.face import Console
from bot.core.clock import FakeClock
from bot.core.commands import ParsedCommand, parse_command_text
from bot.core.errors import InvalidInput
from bot.core.limits import RateLimit
from bot.core.messages import ChoiceInput, FormSpec, OutboundMessage, Tone
from bot.core.models import Platform
from bot.core.services.actor import Actor
from bot.core.services.admin import SETUP_OPTIONS
from bot.prompts.loader import check_pack
from bot.prompts.problems import PackError
from bot.settings import sqlite_url_for
from tests.conftest import T0, make_actor, ready_member
from tests.fakes.fake_chat import FakeChat
from tests.feedback_helpers import finished_session
from tests.fuzz.conftest import FUZZ

INCIDENT = "Something went wrong (incident"

# -- what the fuzzer types -------------------------------------------------------------------------

SAMPLES = [
    "coding",
    "system design",
    "behavioral",
    "swap",
    "candidate",
    "interviewer",
    "7",
    "14",
    "0",
    "-1",
    "99999999999999999999",
    "1e9",
    "Europe/Berlin",
    "America/New_York",
    "UTC",
    "Mars/Olympus",
    "senior",
    "mid",
    "junior",
    "backend",
    "frontend",
    "python,go",
    "weekdays 18:00-21:00",
    "mon 25:00-26:00",
    "daily 0-24",
    "sat 10-14, sun 9-12",
    "2026-12-24..2026-12-31",
    "2026-02-30",
    "yes",
    "no",
    "none",
    "off",
    "on",
    "nudge",
    "quiet",
    "mon",
    "24h, 1h, 10m",
    "#general",
    "<#C123>",
    "<@U1>",
    "@everyone",
    "list",
    "export",
    "import",
    "remove x",
    "disable coding",
    "enable coding",
    "",
    " ",
    ":",
    '"',
    "'",
    "`",
    "**",
    "{t:0:F}",
    "{t:99999999999999:R}",
    "\x00",
    "\n",
    "\t",
    "１２",
    "٣",
    "ß",
    "🙂",
    "a" * 200,
    "-",
    "..",
    "/",
    "\\",
    "%s",
    "${x}",
    "<script>",
]
long_text = st.builds(
    lambda part, n: part * n, st.text(min_size=1, max_size=4), st.integers(300, 7000)
)
values = st.one_of(st.sampled_from(SAMPLES), st.text(max_size=60), long_text)
keys = st.one_of(
    st.sampled_from(
        [
            "topic",
            "timezone",
            "tz",
            "track",
            "level",
            "types",
            "interview_types",
            "languages",
            "text",
            "blackouts",
            "type",
            "role",
            "days",
            "request",
            "set",
            "who",
            "member",
            "args",
            "name",
            "pack",
            "action",
            "sub",
            "filename",
            *SETUP_OPTIONS,
        ]
    ),
    st.from_regex(r"[a-z_]{1,20}", fullmatch=True),
)
options = st.dictionaries(keys, values, max_size=5)
junk_names = st.one_of(
    st.text(max_size=30), long_text, st.sampled_from(["", "HELP", "Schedule", "mock", "admin"])
)


# -- the world the fuzzer acts in ------------------------------------------------------------------


@dataclass
class World:
    app: App
    clock: FakeClock
    chat: FakeChat
    alice: Actor  # an admin, with sessions and feedback owed
    bob: Actor
    newcomer: Actor  # no profile yet
    actions: list[str] = field(default_factory=list)
    forms: list[FormSpec] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    incidents: list[BaseException] = field(default_factory=list)

    @property
    def actors(self) -> list[Actor]:
        return [self.alice, self.bob, self.newcomer]

    async def refresh(self) -> None:
        """Actors as the faces resolve them on every event (a setting may have changed)."""
        resolve = self.app.actors.resolve
        self.alice, self.bob, self.newcomer = [
            await resolve(
                Platform.CONSOLE,
                "local",
                "Local community",
                a.member.external_id,
                a.member.display_name,
                platform_admin=a.platform_admin,
            )
            for a in self.actors
        ]


def _collect(world: World, reply: OutboundMessage) -> None:
    for button in reply.buttons:
        if button.action not in world.actions:
            world.actions.append(button.action)
    for select_ in reply.selects:
        if select_.action not in world.actions:
            world.actions.append(select_.action)
    if reply.form is not None and all(f.action != reply.form.action for f in world.forms):
        world.forms.append(reply.form)


@pytest.fixture
def patched_incidents(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[BaseException]]:
    """Every boundary's incident is recorded, so a test can fail with the real exception."""
    seen: list[BaseException] = []

    def record(logger: Any, exc: BaseException, where: str) -> str:
        seen.append(exc)
        return "fuzz0000"

    monkeypatch.setattr(commands_module, "report_incident", record)
    monkeypatch.setattr(console_module, "report_incident", record)
    yield seen


@pytest.fixture
async def world(tmp_path: Path, patched_incidents: list[BaseException]) -> AsyncIterator[World]:
    clock = FakeClock(T0)
    chat = FakeChat()
    app = await build_app(
        sqlite_url_for(tmp_path / "fuzz.sqlite3"),
        clock=clock,
        chats={Platform.CONSOLE: chat},
        rate_limit=RateLimit(burst=0),
    )  # the limit has its own tests
    try:
        alice = await ready_member(app, "alice", level="senior", availability="daily 18:00-20:00")
        alice = await make_actor(app, "alice", admin=True)
        dave = await ready_member(app, "dave", availability="daily 18:00-20:00")
        bob = await ready_member(app, "bob")
        newcomer = await make_actor(app, "newcomer")
        w = World(app, clock, chat, alice, bob, newcomer, incidents=patched_incidents)
        for actor in (alice, dave, bob):
            _collect(w, await app.router.run(actor, "schedule", {"type": "coding"}))
        await app.matching.run_round(alice.community.id)
        await app.tick()
        past = await finished_session(app, alice, bob, start=T0 - timedelta(hours=3))
        w.ids += [past.id, alice.member.id, bob.member.id, dave.member.id]
        for actor in (alice, bob, newcomer):
            for name in (
                "upcoming",
                "feedback",
                "availability",
                "profile",
                "digest",
                "forget-me",
                "history",
            ):
                _collect(w, await app.router.run(actor, name, {}))
        for actor in (alice, bob):  # the buttons those replies carry open forms and more buttons
            for action in list(w.actions):
                _collect(w, await app.router.act(actor, action))
        assert app.admin_commands is not None
        _collect(w, await app.admin_commands.run(alice, "member", {"who": "bob"}))
        _collect(w, await app.admin_commands.run(alice, "prompts import", {}))
        w.ids += [part for action in w.actions for part in action.split(":")[2:]]
        assert w.forms, "the world opens at least one form"
        assert not w.incidents, w.incidents
        yield w
    finally:
        await app.close()


# -- what every reply must satisfy -----------------------------------------------------------------


async def dump(app: App) -> list[tuple[str, list[str]]]:
    """Every row of every table, as text, in a stable order."""
    tables = []
    async with app.db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = (await conn.execute(select(table))).all()
            tables.append((table.name, sorted(repr(tuple(row)) for row in rows)))
    return tables


#: A refused input (a refusal with field errors) says what is accepted.
GUIDANCE = ("accepted", "e.g.", "such as", "as in", "choose", "one of", "at most", "at least")


def check(world: World, reply: object) -> OutboundMessage:
    """The reply is a message every face renders, and no boundary reported an incident."""
    if world.incidents:
        raise world.incidents.pop()
    assert isinstance(reply, OutboundMessage), reply
    assert INCIDENT not in reply.text
    discord_render.render_message(reply)
    slack_render.render_message(reply)
    render_text(reply, ZoneInfo("Europe/Berlin"), world.clock.now())
    if reply.form is not None:
        slack_render.form_view(reply.form)
        discord_forms.form_steps(reply.form)
    if reply.tone is Tone.ERROR:
        assert reply.text.strip()
        if reply.field_errors:
            text = reply.text.lower()
            assert any(w in text for w in GUIDANCE), (
                f"a refused input without what is accepted: {reply.text!r}"
            )
    return reply


async def unchanged_after_refusal(world: World, call: Any) -> OutboundMessage:
    before = await dump(world.app)
    reply = check(world, await call)
    if reply.tone is Tone.ERROR:
        assert await dump(world.app) == before, f"a refusal changed the database: {reply.text!r}"
    await world.refresh()
    return reply


# -- the tests -------------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
@pytest.mark.parametrize("who", [0, 2])
async def test_every_command_and_option(world: World, who: int, data: st.DataObject) -> None:
    names = st.one_of(st.sampled_from(world.app.router.command_names), junk_names)
    name, opts = data.draw(names, "command"), data.draw(options, "options")
    await unchanged_after_refusal(world, world.app.router.run(world.actors[who], name, opts))


def _line(name: str, opts: dict[str, str], loose: str) -> str:
    parts = [name, *(f"{k}:{shlex.quote(v)}" for k, v in opts.items())]
    return " ".join(parts) + (f" {loose}" if loose else "")


@FUZZ
@given(data=st.data())
async def test_every_command_as_text(world: World, data: st.DataObject) -> None:
    names = st.one_of(
        st.sampled_from([*world.app.router.command_names, "admin", "/mock", "/mock admin"]),
        junk_names,
    )
    line = data.draw(
        st.one_of(
            st.builds(_line, names, options, st.one_of(st.just(""), values)),
            st.text(max_size=200),
            long_text,
        ),
        "line",
    )
    actor = data.draw(st.sampled_from(world.actors), "actor")
    await unchanged_after_refusal(world, world.app.router.run_text(actor, line))


@FUZZ
@given(data=st.data())
async def test_every_action_id(world: World, data: st.DataObject) -> None:
    verbs = world.app.router.action_verbs
    args = st.lists(
        st.one_of(
            st.sampled_from(world.ids), st.from_regex(r"[A-Za-z0-9_\-+.]{1,20}", fullmatch=True)
        ),
        max_size=4,
    )
    built = st.builds(
        lambda verb, parts: ":".join(["pl", verb, *parts])[:100], st.sampled_from(verbs), args
    )
    action = data.draw(
        st.one_of(st.sampled_from(world.actions), built, st.text(max_size=120)), "action"
    )
    form_values = data.draw(
        st.one_of(
            st.none(), st.dictionaries(keys, st.one_of(values, st.tuples(values)), max_size=4)
        ),
        "values",
    )
    actor = data.draw(st.sampled_from(world.actors), "actor")
    await unchanged_after_refusal(world, world.app.router.act(actor, action, form_values))


@FUZZ
@given(data=st.data())
async def test_every_form_field(world: World, data: st.DataObject) -> None:
    form = data.draw(st.sampled_from(world.forms), "form")
    answers: dict[str, Any] = {}
    for item in form.inputs:
        choices = [o.value for o in item.options] if isinstance(item, ChoiceInput) else []
        answer = st.one_of(values, st.sampled_from(choices)) if choices else values
        if data.draw(st.booleans(), f"answer {item.id}"):
            answers[item.id] = data.draw(st.one_of(answer, st.tuples(answer, answer)), item.id)
    actor = data.draw(st.sampled_from(world.actors), "actor")
    await unchanged_after_refusal(world, world.app.router.act(actor, form.action, answers))


@FUZZ
@given(data=st.data())
async def test_every_admin_command_and_option(world: World, data: st.DataObject) -> None:
    admin = world.app.admin_commands
    assert admin is not None
    setup = st.dictionaries(st.sampled_from(sorted(SETUP_OPTIONS)), values, max_size=3)
    name = data.draw(
        st.one_of(st.sampled_from([*admin.command_names, "help", ""]), junk_names), "command"
    )
    opts = data.draw(setup if name == "setup" else options, "options")
    actor = data.draw(st.sampled_from(world.actors), "actor")  # admins and members alike
    if data.draw(st.booleans(), "as text"):
        await unchanged_after_refusal(world, admin.run_text(actor, _line(name, opts, "")))
    else:
        await unchanged_after_refusal(world, admin.run(actor, name, opts))


@FUZZ
@given(data=st.data())
async def test_console_lines(world: World, data: st.DataObject) -> None:
    out = io.StringIO()
    chat = ConsoleChat(out, world.clock)
    console = Console(world.app, world.clock, out=out, chat=chat)
    await console.handle("/as alice")
    commands = st.sampled_from(
        ["/as", "/mock", "/press", "/form", "/dms", "/import-pack", "/clock", "/help", "/x", ""]
    )
    args = st.one_of(
        values,
        st.sampled_from(
            [
                "1",
                "9",
                "1 room-1",
                "2 dm",
                "1=2",
                "submit",
                "cancel",
                "closed bob",
                "open bob",
                "+1h",
                "+30m",
                "+1d",
                "2026-12-01 10:00",
                "9999-12-31 23:59",
                "0001-01-01",
                "bob",
                "schedule type:coding",
                "feedback",
                "upcoming",
                "admin status",
                "admin setup",
            ]
        ),
    )
    lines = data.draw(
        st.lists(
            st.builds(lambda c, a: f"{c} {a}".strip(), commands, args), min_size=1, max_size=4
        ),
        "lines",
    )
    for line in lines:
        if line.split(" ", 1)[0].lower() in ("/quit", "/exit"):
            continue
        assert await console.handle(line) is True
        if world.incidents:
            raise world.incidents.pop()
    assert INCIDENT not in out.getvalue()


@FUZZ
@given(
    st.one_of(
        st.text(max_size=300),
        long_text,
        st.builds(_line, st.sampled_from(["schedule", "profile", "availability"]), options, values),
    )
)
def test_command_text_parses_or_is_refused(line: str) -> None:
    try:
        parsed = parse_command_text(line)
    except InvalidInput as exc:
        assert exc.accepted and len(exc.message) < 2000
        return
    assert isinstance(parsed, ParsedCommand)


PACK_PIECES = [
    "pack:",
    "  id: our-pack",
    "  name: Ours",
    "prompts:",
    "  - id: p1",
    "    type: coding",
    "    title: T",
    "    levels: [junior]",
    "rubric: nope",
    "day: 2026-02-30",
    "at: 2026-12-01 25:61:00",
    "x: &a [1]",
    "y: *a",
    "z: *missing",
    "[",
    "{",
    "- - -",
    "? a",
    "!!python/object:os.system x",
    "a = 1",
    "[pack]",
    'id = "p"',
    "when = 2026-02-30",
    "t = [[[[1]]]]",
    "\t",
    "  - ",
    "'",
    '"',
]


@FUZZ
@given(
    st.one_of(
        st.lists(st.sampled_from(PACK_PIECES), max_size=12).map("\n".join),
        st.text(max_size=400),
        st.builds(
            lambda open_, n: open_ * n,
            st.sampled_from(["[", "{", "- ", "a = [", "a:\n "]),
            st.integers(1, 5000),
        ),
    ),
    st.sampled_from(["yaml", "toml"]),
)
@example(
    "pack:\n  id: p\nday: 2026-02-30\n", "yaml"
)  # found by the fuzzer: a date that does not exist
@example("a = " + "[" * 3000 + "]" * 3000, "toml")  # nested deeper than Python's recursion limit
def test_any_pack_text_is_checked_never_crashes(text: str, fmt: str) -> None:
    problems = check_pack(text, fmt)
    assert all(isinstance(p, PackError) and p.message for p in problems)
