"""``peerloop demo`` runs with no token on SQLite and shows what it promises: a session with
its own call and work-surface links, a block that keeps two members apart while the blocked
member's view says nothing of it, and a session started early and ended early."""

from __future__ import annotations

import io
import re
from pathlib import Path

from bot.demo import run_demo


def _after(transcript: str, line: str) -> str:
    """What the demo printed for one of its input lines (up to the next input line)."""
    start = transcript.index(line)
    rest = transcript[start + len(line) :]
    end = re.search(r"\n\[\d{4}-\d\d-\d\d \d\d:\d\d UTC\] \w+> ", rest)
    return rest[: end.start()] if end else rest


async def test_the_demo_shows_the_room_a_block_and_an_early_start_and_end(tmp_path: Path) -> None:
    out = io.StringIO()
    assert await run_demo(tmp_path / "demo.sqlite3", tmp_path / "out", out) == 0
    text = out.getvalue()
    assert "Something went wrong" not in text and "Traceback" not in text
    # The session's own links: a call and the community's editor, in the booking message.
    booked = text[text.index("Mock interview booked") :]
    call = re.search(r"Call: (https://meet\.jit\.si/PeerLoop-\w+)", booked)
    surface = re.search(r"Work surface: (https://codeshare\.io/peerloop-\w+)", booked)
    assert call and surface
    # Carol blocked Bob: they are not paired, and nothing Bob sees mentions Carol or a block.
    assert "you will not be paired with bob" in text
    assert "room-1 “Coding: alice & bob”" in text and "& carol" not in text
    bob_blocked = _after(text, "bob> /mock blocked")
    assert "You have not blocked anyone" in bob_blocked
    bob_upcoming = _after(text[text.index("bob> /mock blocked") :], "bob> /mock upcoming")
    assert surface.group(1) in bob_upcoming and "carol" not in bob_upcoming.lower()
    # Both said their partner is here, started early, and ended early with "We're done".
    assert "You're both here" in text and "alice started the session early" in text
    assert "You both said you're done" in text
    assert (tmp_path / "out" / "sample-progress-50-sessions.png").exists()
