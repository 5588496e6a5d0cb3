"""The console face, driven the way a person or a script drives it: `peerloop console` on stdin."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.console.chat import ConsoleChat
from bot.console.face import Console
from bot.core.clock import FakeClock
from bot.core.messages import Attachment, OutboundMessage
from bot.core.models import SessionState
from tests.conftest import T0, make_actor
from tests.feedback_helpers import finished_session

SCRIPT_SETUP = """\
/as alice
/mock profile timezone:Europe/Berlin track:backend level:senior types:"coding, system design"
/mock availability weekdays 18:00-21:00, sat 10-14
/mock schedule type:coding
/as bob
/mock profile tz:America/New_York track:frontend level:mid types:coding
/mock availability mon-fri 12-15
/mock schedule type:coding role:candidate
/mock upcoming
"""

SCRIPT_AFTER_RESTART = """\
/as alice
/mock upcoming
/mock schedule type:coding
/as bob
/mock upcoming
/press 1
/mock upcoming
"""


def run_console(db: Path, script: str, **extra_env: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "LOG_LEVEL": "WARNING",
        **extra_env,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--start", "2026-12-01T09:00"],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_script_sets_profiles_schedules_and_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "console.sqlite3"
    first = run_console(db, SCRIPT_SETUP)
    assert first.count("✓ Request open") == 2
    assert "Coding — only candidate" in first
    # Bob's view shows times in New York.
    assert "EST" in first

    second = run_console(db, SCRIPT_AFTER_RESTART)
    assert "Coding — swap" in second  # alice's request is still there after the restart
    assert "already have an open Coding request" in second
    assert "Cancelled your Coding request." in second  # bob pressed the cancel button
    assert second.rstrip().endswith("[1] Schedule a session")


def test_console_refuses_commands_without_a_member_and_unknown_words(tmp_path: Path) -> None:
    out = run_console(
        tmp_path / "c.sqlite3", "/mock upcoming\n/dance\n/as 9lives\n/press 1\n/clock yesterday\n"
    )
    assert "Pick a member first" in out
    assert "not a console command" in out
    assert "one word of letters" in out
    assert "no button to press" in out
    assert "Move the clock with" in out


def test_an_admin_imports_a_pack_from_a_file_and_a_bad_one_is_refused_whole(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[2] / "bot" / "prompts" / "examples"
    out = run_console(
        tmp_path / "packs.sqlite3",
        f"/as alice\n/import-pack {examples / 'bad-pack.yaml'}\n/mock admin prompts list\n"
        f"/import-pack {examples / 'pack.yaml'}\n/mock admin prompts list\n/import-pack nowhere.yaml\n",
    )
    refused, _, rest = out.partition("/mock admin prompts list")
    assert "refused" in refused.lower() and "No prompt packs yet" in rest.split("/import-pack")[0]
    assert "Prompt pack imported" in rest and "Pack refused" in refused
    last_list = rest.split("/mock admin prompts list")[-1]
    assert "No prompt packs yet" not in last_list
    assert "“nowhere.yaml” is not a file" in out


async def test_no_console_line_ends_the_console(
    app: App, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    out = io.StringIO()
    console = Console(app, clock, out=out, chat=ConsoleChat(out, clock))
    assert await console.handle("/form 1=2")  # before any form was shown
    assert "No form is open" in out.getvalue()
    await console.handle("/as alice")
    assert await console.handle(
        "/import-pack " + "p" * 300 + ".yaml"
    )  # a name too long for the system
    assert (
        "is not a file that can be read" in out.getvalue()
        and ".yaml, .yml or .toml" in out.getvalue()
    )
    assert await console.handle("/import-pack " + "x\x00y")  # a name no system accepts
    assert (
        len(out.getvalue().splitlines()[-1]) < 300
    )  # the refusal repeats only a short part of the name

    secret = "-".join(("private", "words"))

    async def broken(actor: object, text: str) -> object:
        raise RuntimeError(secret)

    monkeypatch.setattr(app.router, "run_text", broken)
    with caplog.at_level(logging.ERROR):
        assert await console.handle("/mock upcoming")
    assert "Something went wrong (incident" in out.getvalue() and secret not in out.getvalue()
    assert secret not in caplog.text and "RuntimeError" in caplog.text
    assert await console.handle("/help") and "Console commands" in out.getvalue()


async def test_rooms_are_numbered_on_after_a_restart(app: App, clock: FakeClock) -> None:
    alice, bob = await make_actor(app, "alice"), await make_actor(app, "bob")
    session = await finished_session(
        app, alice, bob, start=T0 + timedelta(hours=3), state=SessionState.CONFIRMED
    )
    async with app.db.uow() as tx:  # an earlier run of the console opened room-1 and room-2
        assert await tx.sessions.claim_pair_space(session.id, "claim", T0)
        assert await tx.sessions.set_pair_space(session.id, "claim", "room-2")
    out = io.StringIO()
    chat = ConsoleChat(out, clock)
    await Console(app, clock, out=out, chat=chat).run(io.StringIO(""))
    ref = await chat.open_pair_space(alice.community, [alice.member, bob.member], "Coding")
    assert ref == "room-3"


async def test_attachments_are_saved_and_their_path_printed(
    app: App, clock: FakeClock, tmp_path: Path
) -> None:
    out = io.StringIO()
    chat = ConsoleChat(out, clock, attachments_dir=tmp_path / "console")
    console = Console(app, clock, out=out, chat=chat)
    console.attachments_dir = tmp_path / "console"
    await console.handle("/as alice")
    await console.handle("/mock export")
    await console.handle("/mock export")
    files = sorted(p.name for p in (tmp_path / "console").iterdir())
    assert len(files) == 2 and files[0].endswith(".json"), (
        files
    )  # the second export does not overwrite the first
    assert f"saved to {tmp_path / 'console' / files[0]}" in out.getvalue()
    member = console.actor.member if console.actor else None
    assert member is not None
    await chat.send_direct(
        member, OutboundMessage(text="invite", attachments=(Attachment("a.ics", b"BEGIN"),))
    )
    assert (tmp_path / "console" / "a.ics").read_bytes() == b"BEGIN"
    assert f"saved to {tmp_path / 'console' / 'a.ics'}" in out.getvalue()


def test_the_console_saves_attachments_under_the_data_dir(tmp_path: Path) -> None:
    out = run_console(
        tmp_path / "c.sqlite3", "/as alice\n/mock export\n", DATA_DIR=str(tmp_path / "files")
    )
    saved = list((tmp_path / "files" / "console").iterdir())
    assert len(saved) == 1 and f"saved to {saved[0]}" in out


def test_a_line_that_is_not_valid_text_does_not_end_the_console(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'b.sqlite3'}",
        "LOG_LEVEL": "WARNING",
        "PYTHONIOENCODING": "utf-8:strict",
    }  # as in a UTF-8 locale other than C.UTF-8
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--start", "2026-12-01T09:00"],
        input=b"/as alice\n/mock help topic:\xff\xfe\n/mock upcoming\n",
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    assert "Nothing open" in done.stdout.decode(errors="replace")


async def test_the_clock_moves_a_bounded_step(app: App, clock: FakeClock) -> None:
    out = io.StringIO()
    console = Console(app, clock, out=out)
    for move in ("+99999999999999999d", "+61d", "9999-12-31 23:59"):
        assert await console.handle(f"/clock {move}")
        assert out.getvalue().rstrip().endswith("(every step on the way runs)."), move
    assert clock.now() == T0
    await console.handle("/clock +60d")
    assert clock.now() == T0 + timedelta(days=60)


def test_the_schedule_a_session_button_opens_the_schedule_form(tmp_path: Path) -> None:
    out = run_console(
        tmp_path / "form.sqlite3",
        (
            "/as alice\n"
            "/mock profile timezone:Europe/Berlin track:backend level:senior types:coding\n"
            "/mock availability weekdays 18:00-21:00\n"
            "/press 1\n"
            "/form type=coding days=5\n"
            "/form submit\n"
        ),
    )
    assert "not valid any more" not in out
    assert "📝 Schedule a mock interview" in out
    assert "✓ Request open" in out and "Coding, swap" in out


def test_form_without_an_open_form_is_refused_not_a_crash(tmp_path: Path) -> None:
    out = run_console(tmp_path / "noform.sqlite3", "/as alice\n/form submit\n/mock help\n")
    assert "No form is open" in out and "PeerLoop help" in out
