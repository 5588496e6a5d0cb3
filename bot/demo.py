"""``peerloop demo``: a scripted walk of a small community through everything built so far.

It drives the console face with a script, on a fresh embedded SQLite database and a
simulated clock, and prints the transcript.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from bot.core.messages import OutboundMessage

DEMO_START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

SCRIPT = """
# PeerLoop demo: a small community sets up, gets paired and runs a session.
# Alice, a senior backend engineer in Berlin, sets her profile.
/as alice
/mock help
/mock profile timezone:Europe/Berlin track:backend level:senior types:"coding, system design" languages:python,go
/mock availability weekdays 18:00-21:00, sat 10-14
# Bad input is refused with what is accepted, and nothing is written.
# As an admin, she gives coding sessions a shared editor: each session gets its own link.
/mock admin setup coding_editor:https://codeshare.io/peerloop-{room}
/mock profile timezone:Mars/Olympus
/mock profile level:guru
/mock availability mon 25:00-26:00
# Bob, a mid-level full-stack engineer in New York.
/as bob
/mock schedule type:coding
/mock profile tz:America/New_York track:full-stack level:mid types:coding,behavioral languages:typescript,python
/mock availability weekdays 12:00-15:00, sun 9-12
/mock schedule type:coding days:7
/mock schedule type:behavioral role:candidate
# Carol, a junior frontend engineer in Berlin, only wants to be a candidate.
/as carol
/mock profile tz:Europe/Berlin track:frontend level:junior types:coding languages:javascript
/mock availability daily 19-22
/mock schedule type:coding role:candidate
# Carol would rather never be paired with Bob. It is confidential: Bob is never told.
/mock block bob
# Without names: how many are looking per type, and the busiest hours in Carol's zone.
/mock who
/mock upcoming
# Bob withdraws his behavioral request with its button.
/as bob
/mock upcoming
/press 1
# A minute later Alice asks for a coding session; a second ask is refused (one open request
# per type).
/clock +1m
/as alice
/mock schedule type:coding role:swap
/mock schedule type:coding
# The next matching round runs at the quarter hour. Alice and Bob share times
# (18:00 Berlin is 12:00 New York); with three people one is left out, and told why.
/as bob
/clock +14m
/mock upcoming
# Carol is not paired with Bob though their evenings overlap. Bob's own view says nothing
# of it: no name, no block, just his session with Alice.
/as bob
/mock blocked
/mock upcoming
/as alice
/press 1 room-1
# Alice has closed her direct messages: her interviewer guide will come through a
# button in the room that only she can open, never as text the candidate could read.
/dms closed alice
# Time passes: the reminders. An hour before, the reminder offers "My partner is here".
/clock 2026-12-01 16:30
/as bob
/press 1 room-1
# Both join the call ten minutes early and say so: "Start now" appears for either of them.
/clock 2026-12-01 16:50
/press 1 room-1
/as alice
/press 1 room-1
# The session starts now instead of 17:00 UTC: the prompt to the candidate, the guide to
# the interviewer only; the swap, the no-show check and the end move with it.
/press 1 room-1
/clock 2026-12-01 17:05
/press 1 room-1
/as bob
/press 1 room-1
# Half time: the roles swap. Bob, interviewing now, gets his guide by direct message;
# the room's guide button answers only him, never the candidate.
/clock 2026-12-01 17:21
/press 1 room-1
/as alice
/press 1 room-1
# They finish early. "We're done" asks the partner to confirm; when Bob does, the session
# ends and feedback opens at once.
/clock 2026-12-01 17:40
/press 2 room-1
/as bob
/press 1 room-1
/clock 2026-12-01 18:15
# Feedback: each interviewer rates their candidate on the prompt's rubric.
/as bob
/mock feedback
/press 1
/press 2
/form 1=3 2=3 3=2 4=3 5=2 6=4 verdict=lean-yes help_needed=correctness strengths="Clear plan; talked through the graph model before coding." improvements="Trace the cycle case by hand before calling it done."
/form submit
/as alice
/mock feedback
/press 1
/form 1=2 2=3 3=3 4=2 5=2 6=3 verdict=lean-yes help_needed=code-quality strengths="Found the level-order idea quickly and tested the empty tree." improvements="Name things clearly and split the traversal into a helper."
/form submit
# Nobody sees the other's feedback yet. When the 72-hour window closes, what was
# submitted is revealed; then progress shows scores per rubric dimension.
/clock +3d
"""

#: After the question bank: a member's progress (with a chart saved to a file) and both digests.
FINALE = """
# Progress: Bob's scores per rubric dimension over time, with a chart saved to a file.
/as bob
/mock history
/mock progress
# Weekly digests. Alice, an admin, names the admins' channel. Personal digests go out on
# the community's day and hour (Monday 09:00 by default) in each member's own time zone;
# the community digest goes to the admins' channel at that hour in UTC.
/as alice
/dms open alice
/mock admin setup admin_channel:admins
/mock digest
# Carol wants nothing in weeks with nothing to report; Bob keeps the short nudge.
/as carol
/mock digest quiet
/as bob
/mock digest nudge
# Monday 7 December, 09:00 in Berlin (08:00 UTC): Alice's digest. Carol had a quiet week.
/clock 2026-12-07 08:00
# 09:00 UTC: the community digest in the admins' channel.
/clock 2026-12-07 09:00
# 09:00 in New York (14:00 UTC): Bob's digest.
/clock 2026-12-07 14:00
"""


#: A mock loop, in a community of its own: Erin books the SRE loop; three peers each ask for one
#: of its round types. The rounds' own messages are left out; the replies are shown.
LOOP_SCRIPT = """
# Mock loops: Erin, a senior SRE, books an onsite rehearsal of three rounds over a week.
/as erin
/mock profile timezone:Europe/Berlin track:sre level:senior types:"sre, system design, behavioral"
/mock availability daily 09:00-21:00
/mock loop start template:sre level:senior days:7
/as frank
/mock profile timezone:Europe/Berlin track:sre level:senior types:sre
/mock availability daily 09:00-21:00
/mock schedule type:sre days:14
/as grace
/mock profile timezone:Europe/Berlin track:backend level:staff+ types:"system design"
/mock availability daily 09:00-21:00
/mock schedule type:system-design days:14
/as heidi
/mock profile timezone:Europe/Berlin track:sre level:mid types:behavioral
/mock availability daily 09:00-21:00
/mock schedule type:behavioral days:14
/as erin
/mock loop status
"""
#: What each interviewer says of Erin in the demo's loop, by round type.
LOOP_VERDICTS = {"sre-troubleshooting": "strong-yes", "system-design": "lean-no"}


def _answers(form: Any, verdict: str) -> dict[str, str | list[str]]:
    """A filled feedback form: a 3 on every scale, the verdict given, a sentence in each text."""
    from bot.core.messages import ChoiceInput

    score = {"strong-yes": "4", "lean-no": "2", "strong-no": "1"}.get(verdict, "3")
    values: dict[str, str | list[str]] = {}
    for item in form.inputs:
        if isinstance(item, ChoiceInput):
            values[item.id] = score if item.options[0].value == "1" else item.options[-2].value
        elif item.required:
            values[item.id] = "Clear reasoning, stated out loud, with one concrete example."
    if "verdict" in values:
        values["verdict"] = verdict
    return values


async def run_loop_demo(database: Path, out: TextIO) -> None:
    """One loop from booking to debrief on its own database; the rounds run on the simulated
    clock, each interviewer's form filled by the script."""
    import io

    from bot.adapters.offload import InlineOffload
    from bot.app import build_app
    from bot.console.chat import ConsoleChat
    from bot.console.face import Console
    from bot.core.clock import FakeClock
    from bot.core.models import Platform
    from bot.settings import sqlite_url_for

    clock = FakeClock(DEMO_START)
    quiet = ConsoleChat(io.StringIO(), clock)
    app = await build_app(
        sqlite_url_for(database),
        clock=clock,
        chats={Platform.CONSOLE: quiet},
        offload=InlineOffload(),
    )
    try:
        console = Console(app, clock, out=out, echo=True, chat=quiet)
        lines = LOOP_SCRIPT.strip().splitlines()
        for line in lines[:-2]:
            await console.handle(line)
        assert console.actor is not None
        cid = console.actor.community.id
        async with app.db.uow() as tx:
            community = await tx.communities.get(cid)
            members = {m.id: m for m in await tx.members.list(cid)}
        assert community is not None
        erin = next(m.id for m in members.values() if m.external_id == "erin")
        print("\n# A week on the simulated clock: the ordinary rounds pair each round.", file=out)
        # The clock jumps twelve hours at a time, so the runner skips the reminders it passed
        # ("too late to be useful"); those log lines are not part of the transcript.
        runner_log = logging.getLogger("bot.core.services.step_runner")
        level = runner_log.level
        runner_log.setLevel(logging.WARNING)
        try:
            await _run_rounds(app, clock, cid, members, community, erin, out)
        finally:
            runner_log.setLevel(level)
        await app.tick()
        for line in lines[-2:]:
            await console.handle(line)
    finally:
        await app.close()


async def _run_rounds(
    app: Any, clock: Any, cid: str, members: Any, community: Any, erin: str, out: TextIO
) -> None:
    """The loop's rounds, twelve simulated hours at a time, each interviewer's form filled."""
    from datetime import timedelta

    from bot.core.models import SessionState
    from bot.core.services.actor import Actor

    done: set[str] = set()
    for _ in range(2 * 9):
        await app.matching.run_round(cid)
        clock.advance(timedelta(hours=12))
        await app.tick()
        async with app.db.uow() as tx:
            sessions = await tx.sessions.for_community(cid)
        for s in sessions:
            if s.id in done or s.state is not SessionState.COMPLETED:
                continue
            done.add(s.id)
            partner = members[next(m for m in s.member_ids if m != erin)].display_name
            print(
                f"  {s.interview_type.label} round with {partner}, {s.start:%a %d %b %H:%M} UTC",
                file=out,
            )
            await _feedback(app, Actor, community, members, s, erin)
        if len(done) == 3:
            break


async def _feedback(
    app: Any, actor_type: Any, community: Any, members: Any, s: Any, erin: str
) -> None:
    """Every form of session ``s``, Erin's interviewer giving the demo's verdict."""
    parts = [(1, s.interviewer_id, s.candidate_id)] + (
        [(2, s.candidate_id, s.interviewer_id)] if s.swap else []
    )
    for part, interviewer, candidate in parts:
        for author, role in ((interviewer, "interviewer"), (candidate, "candidate")):
            who = actor_type(community, members[author])
            opened = await app.router.act(who, f"pl:feedback.open:{s.id}:{part}:{role}")
            verdict = (
                LOOP_VERDICTS.get(s.interview_type.value, "lean-yes")
                if candidate == erin
                else "lean-yes"
            )
            await app.router.act(who, opened.form.action, _answers(opened.form, verdict))


def _fresh_files(database: Path, out_dir: Path) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def _show_bank(out: TextIO) -> None:
    """One prompt of each interview type: the interviewer guide's first page and the rubric."""
    from bot.app import bundled_prompts
    from bot.core.vocab import InterviewType
    from bot.prompts import render_guide, render_rubric

    bank = bundled_prompts()
    print("\n# The question bank: one prompt of each type, as its interviewer sees it.", file=out)
    for kind in InterviewType:
        prompts = bank.prompts(kind)
        if not prompts:
            continue
        prompt = prompts[0]
        rubric = bank.rubric(prompt.rubric)
        print(
            f"\n=== {kind.label}: {prompt.title} ({len(prompts)} prompts of this type) ===",
            file=out,
        )
        print(render_guide(prompt, rubric)[0], file=out)
        print("--- rubric ---", file=out)
        print(render_rubric(rubric)[0], file=out)


def _save_pictures(sent: Sequence[tuple[str, OutboundMessage]], out_dir: Path, out: Any) -> None:
    """Every picture the demo's members and admins were sent (digests), and the pictures of a
    member with fifty sessions over two types (the demo's members have one each), in ``out_dir``."""
    from bot.adapters import chart_samples, charts

    print("\n# Pictures: the digests' and, for comparison, a member with fifty sessions.", file=out)
    files: dict[str, bytes] = {}
    for target, message in sent:
        for attachment in message.attachments:
            if attachment.mime == "image/png":
                files[f"{target.replace(':', '-')}-{attachment.filename}"] = attachment.data
    names = chart_samples.sample_names()
    files["sample-progress-50-sessions.png"] = charts.render_progress_png(
        chart_samples.sample_progress(50, kinds=("coding", "system-design")), names
    )
    files["sample-progress-1-session.png"] = charts.render_progress_png(
        chart_samples.sample_progress(1), names
    )
    files["sample-digest-month.png"] = charts.render_changes_png(
        chart_samples.sample_changes(), names
    )
    files["sample-community-funnel.png"] = charts.render_funnel_png(chart_samples.sample_funnel())
    for name, data in files.items():
        (out_dir / name).write_bytes(data)
        print(f"  saved {out_dir / name} ({len(data):,} bytes)", file=out)


async def run_demo(database: Path, out_dir: Path, stream: TextIO | None = None) -> int:
    from bot.app import build_app
    from bot.console.chat import ConsoleChat
    from bot.console.face import Console
    from bot.core.clock import FakeClock
    from bot.core.models import Platform
    from bot.core.room import use_repeatable_rooms
    from bot.core.services.actor import use_repeatable_ids
    from bot.settings import sqlite_url_for

    _fresh_files(database, out_dir)
    use_repeatable_ids(2026)
    use_repeatable_rooms(2026)
    clock = FakeClock(DEMO_START)
    out = stream or sys.stdout
    chat = ConsoleChat(out, clock, attachments_dir=out_dir)
    app = await build_app(sqlite_url_for(database), clock=clock, chats={Platform.CONSOLE: chat})
    print(
        f"PeerLoop demo — simulated time starts {DEMO_START:%a %d %b %Y %H:%M} UTC; database {database}",
        file=out,
    )
    try:
        console = Console(app, clock, out=out, echo=True, chat=chat)
        console.attachments_dir = out_dir
        for line in SCRIPT.strip().splitlines():
            if not await console.handle(line):
                break
        _show_bank(out)
        print(file=out)
        for line in FINALE.strip().splitlines():
            if not await console.handle(line):
                break
        _save_pictures(chat.sent, out_dir, out)
    finally:
        await app.close()
    loop_db = database.with_name(f"{database.stem}-loop{database.suffix}")
    try:
        _fresh_files(loop_db, out_dir)
        print(file=out)
        await run_loop_demo(loop_db, out)
    finally:
        use_repeatable_ids(None)
        use_repeatable_rooms(None)
    print("\nEnd of the demo. Try it yourself: `peerloop console` (type /help).", file=out)
    return 0
