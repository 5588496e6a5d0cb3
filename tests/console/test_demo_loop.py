"""``peerloop demo``'s mock loop: booked by typed lines, its rounds paired by the ordinary
rounds with three different peers, and the debrief shown at the end."""

from __future__ import annotations

import io
from pathlib import Path

from bot.demo import run_loop_demo


async def test_the_demo_shows_one_loop_to_its_debrief(tmp_path: Path) -> None:
    out = io.StringIO()
    await run_loop_demo(tmp_path / "loop.sqlite3", out)
    text = out.getvalue()
    assert "Loop booked: SRE onsite" in text
    rounds = [line for line in text.splitlines() if " round with " in line]
    assert len(rounds) == 3 and len({line.split(" with ")[1].split(",")[0] for line in rounds}) == 3
    debrief = text[text.index("Loop debrief: SRE onsite") :]
    assert "Round 1: SRE troubleshooting: Strong yes." in debrief
    assert "Recommendation at Senior: Lean hire" in debrief
    assert "Requirements (System design), 2.0/4" in debrief
