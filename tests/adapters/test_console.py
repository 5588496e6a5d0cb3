"""The console face, driven the way a person or a script drives it: `peerloop console` on stdin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def run_console(db: Path, script: str) -> str:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{db}", "LOG_LEVEL": "WARNING"}
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
    out = run_console(tmp_path / "c.sqlite3", "/mock upcoming\n/dance\n/as 9lives\n/press 1\n/clock yesterday\n")
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


def test_the_schedule_a_session_button_opens_the_schedule_form(tmp_path: Path) -> None:
    out = run_console(tmp_path / "form.sqlite3", (
        "/as alice\n"
        "/mock profile timezone:Europe/Berlin track:backend level:senior types:coding\n"
        "/mock availability weekdays 18:00-21:00\n"
        "/press 1\n"
        "/form type=coding days=5\n"
        "/form submit\n"
    ))
    assert "not valid any more" not in out
    assert "📝 Schedule a mock interview" in out
    assert "✓ Request open" in out and "Coding, swap" in out


def test_form_without_an_open_form_is_refused_not_a_crash(tmp_path: Path) -> None:
    out = run_console(tmp_path / "noform.sqlite3", "/as alice\n/form submit\n/mock help\n")
    assert "No form is open" in out and "PeerLoop help" in out
