"""Each session's room: its own call link and work surface, shown only to the pair."""

from __future__ import annotations

import random
import re
import string
from collections import Counter

import icalendar
import pytest

from bot.app import App
from bot.core import room
from bot.core.clock import FakeClock
from bot.core.errors import InvalidInput
from bot.core.messages import Tone
from bot.core.models import Session
from bot.core.vocab import InterviewType
from tests.conftest import make_actor, ready_member
from tests.fakes.fake_chat import FakeChat

JITSI = re.compile(r"https://meet\.jit\.si/PeerLoop-[A-Za-z0-9]{24}")
EXCALIDRAW = re.compile(r"https://excalidraw\.com/#room=[0-9a-f]{20},[A-Za-z0-9_-]{22}")


@pytest.fixture
def app(chat_app: App) -> App:
    return chat_app


async def book(app: App, kind: str, *names: str) -> Session:
    a, b = names or ("alice", "bob")
    types = "coding, system design"
    alice = await ready_member(app, a, types=types, availability="daily 18:00-20:00")
    bob = await ready_member(app, b, types=types, availability="daily 18:00-20:00")
    assert (await app.router.run(alice, "schedule", {"type": kind})).tone is Tone.SUCCESS
    assert (await app.router.run(bob, "schedule", {"type": kind})).tone is Tone.SUCCESS
    outcome = await app.matching.run_round(alice.community.id)
    assert len(outcome.sessions) == 1
    await app.tick()
    return outcome.sessions[0]


def test_links_are_fresh_every_time_and_follow_the_type() -> None:
    calls = {
        room.links_for(
            InterviewType.SYSTEM_DESIGN, call_link=None, coding_editor=None, design_board=None
        )
        for _ in range(50)
    }
    assert len({c.call for c in calls}) == 50 and len({c.work for c in calls}) == 50
    for links in calls:
        assert JITSI.fullmatch(links.call) and links.work and EXCALIDRAW.fullmatch(links.work)
    coding = room.links_for(
        InterviewType.CODING,
        call_link="https://zoom.us/j/42",
        coding_editor=None,
        design_board=None,
    )
    assert coding == room.RoomLinks("https://zoom.us/j/42", None)
    assert room.room_lines(InterviewType.CODING, coding.call, coding.work)[1].endswith(
        room.ANY_EDITOR
    )
    templated = room.links_for(
        InterviewType.CODING,
        call_link=None,
        coding_editor="https://codeshare.io/{room}",
        design_board=None,
    )
    assert templated.work and re.fullmatch(r"https://codeshare\.io/[A-Za-z0-9]{24}", templated.work)
    assert (
        room.links_for(
            InterviewType.BEHAVIORAL, call_link=None, coding_editor=None, design_board=None
        ).work
        is None
    )
    with pytest.raises(InvalidInput):
        room.parse_link("call_link", "javascript:alert(1)")
    with pytest.raises(InvalidInput):
        room.parse_link("call_link", "http://plain.example/room")
    assert room.parse_link("call_link", "jitsi") is None


async def test_a_design_session_gets_its_own_call_and_board_in_every_message(
    app: App, chat: FakeChat, clock: FakeClock
) -> None:
    session = await book(app, "system design")
    assert session.call_url and JITSI.fullmatch(session.call_url)
    assert session.work_url and EXCALIDRAW.fullmatch(session.work_url)
    announce = chat.posts[0][1]
    assert session.call_url in (announce.text or "") and session.work_url in (announce.text or "")
    event = icalendar.Calendar.from_ical(announce.attachments[0].data).walk("VEVENT")[0]
    assert str(event["LOCATION"]) == session.call_url and str(event["URL"]) == session.call_url
    assert f"Work surface: {session.work_url}" in str(event["DESCRIPTION"]).replace("\n", "")

    alice = await make_actor(app, "alice")
    upcoming = await app.router.run(alice, "upcoming", {})
    assert any(session.call_url in f.value and session.work_url in f.value for f in upcoming.fields)

    # A third member sees nothing of the pair's links, whatever they try.
    carol = await ready_member(app, "carol", types="coding, system design")
    for reply in (
        await app.router.run(carol, "upcoming", {}),
        await app.router.act(carol, f"pl:session.confirm:{session.id}"),
        await app.router.act(carol, f"pl:session.reschedule:{session.id}"),
    ):
        shown = (reply.text or "") + "".join(f.value for f in reply.fields)
        assert session.call_url not in shown and session.work_url not in shown
    assert not [m for m in chat.dms_to("carol") if session.call_url in (m.text or "")]

    # The start message repeats the links in the pair space.
    mark = len(chat.posts)
    clock.set(session.start)
    await app.tick()
    started = [m for _, m in chat.posts[mark:] if (m.title or "").startswith("Part 1")]
    assert started and session.call_url in (started[0].text or "")

    # A second session is never given the first one's links.
    other = await book(app, "system design", "dora", "erin")
    assert other.call_url != session.call_url and other.work_url != session.work_url


async def test_the_community_chooses_its_call_and_coding_editor(app: App, chat: FakeChat) -> None:
    admin = await make_actor(app, "ada", admin=True)
    refused = await app.router.run_text(admin, "admin setup call_link:ftp://x")
    assert refused.tone is Tone.ERROR and "https" in (refused.text or "")
    changed = await app.router.run_text(
        admin,
        "admin setup call_link:https://meet.example.org/team-{room} coding_editor:https://codeshare.io/{room}",
    )
    assert "call_link" in (changed.text or "") and "coding_editor" in (changed.text or "")
    shown = await app.router.run_text(admin, "admin setup")
    assert any("meet.example.org" in f.value for f in shown.fields)
    session = await book(app, "coding")
    assert session.call_url and session.call_url.startswith("https://meet.example.org/team-")
    assert "{room}" not in session.call_url
    assert session.work_url and session.work_url.startswith("https://codeshare.io/")
    await app.router.run_text(admin, "admin setup reset:call_link")
    later = await book(app, "coding", "fay", "gus")
    assert later.call_url and JITSI.fullmatch(later.call_url)


async def test_links_survive_a_reschedule(app: App, chat: FakeChat) -> None:
    session = await book(app, "coding")
    alice = await make_actor(app, "alice")
    await app.router.act(alice, f"pl:session.reschedule:{session.id}")
    await app.tick()
    async with app.db.uow() as tx:
        moved = await tx.sessions.get(session.id)
    assert moved is not None and moved.sequence == session.sequence + 1
    assert (moved.call_url, moved.work_url) == (session.call_url, session.work_url)
    invites = [
        a.data
        for _, m in [*chat.posts, *chat.direct]
        for a in m.attachments
        if a.filename.endswith(".ics")
    ]
    assert (
        all(f"LOCATION:{session.call_url}".encode() in ics for ics in invites) and len(invites) >= 2
    )


def test_secret_room_names_use_every_character_evenly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drawn a few bytes at a time, with bytes past the alphabet's last full multiple dropped:
    every character of a 62-letter alphabet turns up about as often as every other. The bytes
    come from a seeded generator here, so the check gives the same answer on every run."""
    alphabet = string.ascii_letters + string.digits
    seeded = random.Random(20261205)
    monkeypatch.setattr(room.secrets, "token_bytes", seeded.randbytes)
    draws = "".join(room._secret(alphabet, 24) for _ in range(4_000))
    assert len(draws) == 96_000 and set(draws) == set(alphabet)
    counts = Counter(draws)
    expected = len(draws) / len(alphabet)  # about 1,548 each
    # Keeping bytes 248-255 (b % 62 gives 0..7) would give the first eight characters five
    # bytes in 256 instead of four (a quarter more, about ten standard deviations).
    assert all(abs(n - expected) < 0.1 * expected for n in counts.values())


def test_secret_room_names_drop_the_bytes_past_the_last_full_multiple(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bytes 248-255 would map onto the first eight characters of a 62-letter alphabet a fifth
    more often than the rest; they are dropped, not folded in."""
    alphabet = string.ascii_letters + string.digits
    calls: list[int] = []

    def source(n: int) -> bytes:
        calls.append(n)
        return bytes([248 + i % 8 for i in range(n)]) if len(calls) == 1 else bytes(n)

    monkeypatch.setattr(room.secrets, "token_bytes", source)
    assert room._secret(alphabet, 24) == alphabet[0] * 24
    assert len(calls) == 2


def test_secret_room_names_differ_every_time() -> None:
    alphabet = string.ascii_letters + string.digits
    assert len({room._secret(alphabet, 24) for _ in range(1_000)}) == 1_000
