"""``peerloop demo``: a scripted walk of a small community through everything built so far.

It drives the console face with a script, on a fresh embedded SQLite database and a
simulated clock, and prints the transcript.
"""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path

DEMO_START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

SCRIPT = """
# PeerLoop demo: a small community sets up and asks for practice sessions.
# Alice, a senior backend engineer in Berlin, sets her profile.
/as alice
/mock help
/mock profile timezone:Europe/Berlin track:backend level:senior types:"coding, system design" languages:python,go
/mock availability weekdays 18:00-21:00, sat 10-14
# Bad input is refused with what is accepted, and nothing is written.
/mock profile timezone:Mars/Olympus
/mock profile level:guru
/mock availability mon 25:00-26:00
/mock schedule type:coding role:swap
/mock schedule type:coding
# Bob, a mid-level full-stack engineer in New York.
/as bob
/mock schedule type:coding
/mock profile tz:America/New_York track:full-stack level:mid types:coding,behavioral languages:typescript,python
/mock availability weekdays 12:00-15:00, sun 9-12
/mock schedule type:coding days:7
/mock schedule type:behavioral role:candidate
/mock upcoming
/press 2
/mock upcoming
/as alice
/mock upcoming
"""


def _fresh_files(database: Path, out_dir: Path) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


async def run_demo(database: Path, out_dir: Path, stream: io.TextIOBase | None = None) -> int:
    from bot.adapters.console import Console, ConsoleChat
    from bot.app import build_app
    from bot.core.clock import FakeClock
    from bot.core.models import Platform
    from bot.settings import sqlite_url_for

    _fresh_files(database, out_dir)
    clock = FakeClock(DEMO_START)
    out = stream or sys.stdout
    chat = ConsoleChat(out, clock)  # type: ignore[arg-type]
    app = await build_app(sqlite_url_for(database), clock=clock, chats={Platform.CONSOLE: chat})
    print(f"PeerLoop demo — simulated time starts {DEMO_START:%a %d %b %Y %H:%M} UTC; database {database}", file=out)
    try:
        console = Console(app, clock, out=out, echo=True, chat=chat)  # type: ignore[arg-type]
        for line in SCRIPT.strip().splitlines():
            if not await console.handle(line):
                break
    finally:
        await app.close()
    print("\nEnd of the demo. Try it yourself: `peerloop console` (type /help).", file=out)
    return 0
