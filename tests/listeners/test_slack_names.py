"""Who members are on Slack, and what their text can do: names come from the Slack profile
(never the legacy ``ualice`` handle, never the raw id), user text in any output is escaped
so it cannot ping or link, and the App Home draws no chart it would throw away."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest

from bot.core.models import Member, Platform
from bot.core.progress import MemberProgress
from bot.listeners import face as slack_face
from bot.listeners.slack import NAME_TTL_SECONDS, SEND_CHART
from tests.conftest import T0, delivered
from tests.feedback_helpers import fill, finished_session
from tests.listeners.test_slack import ALICE, BOB, CAROL, Rig, community_id, ready, reply_text, rig

__all__ = ["rig"]

HOSTILE_NAME = "<!channel> [x](https://evil.example)"
HOSTILE_NOTE = (
    "Strong start. <@U999> <!here> <!everyone> said <b>hi</b> & left; see <https://evil.example|docs>; "
    "ask {@U999|the boss}."
)
#: What user text must never become in Slack output: a ping, a mention, a link of its choosing.
PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@U999>", "<https://evil.example")


async def member(rig: Rig, user: str) -> Member:
    async with rig.app.db.uow() as tx:
        found = await tx.members.find(await community_id(rig.app), user)
    assert found is not None
    return found


def sent(rig: Rig) -> str:
    """Every Web API call and response-URL post the app made (no file bytes), as JSON text."""
    return json.dumps(
        [args for name, args in rig.fake.calls if name != "upload"], ensure_ascii=False
    )


def parsed_texts(rig: Rig) -> list[str]:
    """Every text Slack parses for mentions and links: messages' fallback ``text`` and every
    ``mrkdwn`` text object (``plain_text`` objects are shown as they are and cannot ping)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for name, args in rig.fake.calls:
        if name != "upload":
            if isinstance(args.get("text"), str):
                found.append(args["text"])
            walk(args)
    return found


async def open_home(rig: Rig, user: str) -> dict[str, Any]:
    published = rig.fake.count("views.publish")
    status, _ = await rig.send.event(
        {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"}
    )
    assert status == 200
    await rig.fake.wait_for(lambda: rig.fake.count("views.publish") == published + 1)
    view: dict[str, Any] = rig.fake.of("views.publish")[-1]["view"]
    return view


async def test_opening_the_app_home_first_stores_the_profile_name(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig.fake.profiles[BOB] = {"display_name": "bobby", "real_name": "Robert Brown"}
    rig.fake.profiles[CAROL] = {"display_name": "", "real_name": "Carol Chen"}
    await open_home(rig, BOB)
    await open_home(rig, CAROL)
    assert (await member(rig, BOB)).display_name == "bobby"  # the display name first
    assert (await member(rig, CAROL)).display_name == "Carol Chen"  # else the real name

    # a changed profile is picked up once the remembered name is an hour old
    rig.fake.profiles[BOB] = {"display_name": "Bob B.", "real_name": "Robert Brown"}
    asked = rig.fake.count("users.info")
    await reply_text(rig, BOB, "help")
    assert rig.fake.count("users.info") == asked  # remembered: no new lookup
    assert (await member(rig, BOB)).display_name == "bobby"
    later = time.monotonic() + NAME_TTL_SECONDS + 1
    monkeypatch.setattr(slack_face, "_now", lambda: later)
    await reply_text(rig, BOB, "help")
    assert rig.fake.count("users.info") == asked + 1
    assert (await member(rig, BOB)).display_name == "Bob B."


async def test_a_failed_profile_lookup_is_filled_in_at_the_next_interaction(rig: Rig) -> None:
    rig.fake.fail_next("users.info", status=200, error="user_not_found", retry_after=None)
    view = await open_home(rig, ALICE)  # still answered
    assert view["type"] == "home"
    assert (await member(rig, ALICE)).display_name == ALICE  # nothing better was known
    await reply_text(rig, ALICE, "help")
    assert (await member(rig, ALICE)).display_name == "Alice"


async def test_pair_messages_mention_the_members_they_address_and_name_them_elsewhere(
    rig: Rig,
) -> None:
    rig.fake.profiles[BOB] = {"display_name": "bobby", "real_name": "Robert Brown"}
    for user in (ALICE, BOB):
        await ready(rig, user)
        await reply_text(rig, user, "schedule type:coding")
    await rig.app.matching.run_round(await community_id(rig.app))
    await rig.app.tick()
    await delivered(rig.app)
    space = [a for a in rig.fake.of("chat.postMessage") if str(a["channel"]).startswith("G")]
    announcement = next(p for p in space if "you're paired" in json.dumps(p))
    texts = [
        b["text"]["text"] for b in announcement["blocks"] if b["type"] == "section" and "text" in b
    ]
    assert any(
        t.endswith(
            ("<@UALICE> and <@UBOB>, you're paired.", "<@UBOB> and <@UALICE>, you're paired.")
        )
        for text in texts
        for t in text.splitlines()
    ), texts
    assert "Alice" in json.dumps(announcement) and "bobby" in json.dumps(
        announcement
    )  # named where not addressed
    assert "ualice" not in sent(rig) and "ubob" not in sent(rig)


async def test_user_text_cannot_ping_mention_or_link(rig: Rig) -> None:
    rig.fake.profiles[ALICE] = {"display_name": HOSTILE_NAME, "real_name": "Alice"}
    for user in (ALICE, BOB):
        await ready(rig, user)
        await reply_text(rig, user, "schedule type:coding")
    assert (await member(rig, ALICE)).display_name == HOSTILE_NAME
    await rig.app.matching.run_round(await community_id(rig.app))
    await rig.app.tick()
    await delivered(rig.app)
    assert "&lt;!channel&gt; [x](https://evil.example)" in sent(rig)  # shown, as text

    # feedback with mentions in it, revealed to both by DM; then history and the App Home
    alice = await rig.app.actors.resolve(Platform.SLACK, "T1", "acme", ALICE, "")
    bob = await rig.app.actors.resolve(Platform.SLACK, "T1", "acme", BOB, "")
    done = await finished_session(rig.app, alice, bob, start=T0 - timedelta(hours=2), swap=False)
    for actor, overrides in (
        (alice, {"strengths": HOSTILE_NOTE}),
        (bob, {"improvements": HOSTILE_NOTE}),
    ):
        form = (await rig.app.router.act(actor, f"pl:feedback.open:{done.id}")).form
        assert form is not None
        await rig.app.router.act(actor, form.action, fill(form, **overrides))
    await rig.app.tick()
    await delivered(rig.app)
    await reply_text(rig, BOB, "history")
    await open_home(rig, BOB)
    texts = parsed_texts(rig)
    assert any(
        "&lt;@U999&gt; &lt;!here&gt; &lt;!everyone&gt;" in t for t in texts
    )  # arrived, escaped
    assert any("&lt;b&gt;hi&lt;/b&gt; &amp; left" in t for t in texts)
    assert any(
        "ask the boss." in t for t in texts
    )  # a mention token typed into a note is only a name
    assert not any(HOSTILE_NAME in t for t in texts)
    for ping in PINGS:
        assert not [t for t in texts if ping in t], ping


async def test_opening_the_app_home_draws_no_chart(rig: Rig) -> None:
    drawn: list[MemberProgress] = []

    def chart(
        report: MemberProgress, names: object
    ) -> bytes:  # the renderer also gets the rubric names
        drawn.append(report)
        return b"\x89PNG\r\n\x1a\nchart"

    assert rig.app.progress is not None
    rig.app.progress._chart = chart
    for user in (ALICE, BOB):
        await ready(rig, user)
    alice = await rig.app.actors.resolve(Platform.SLACK, "T1", "acme", ALICE, "")
    bob = await rig.app.actors.resolve(Platform.SLACK, "T1", "acme", BOB, "")
    done = await finished_session(rig.app, alice, bob, start=T0 - timedelta(hours=2), swap=False)
    for actor in (alice, bob):
        form = (await rig.app.router.act(actor, f"pl:feedback.open:{done.id}")).form
        assert form is not None
        await rig.app.router.act(actor, form.action, fill(form))

    home = json.dumps(await open_home(rig, BOB))
    assert "Your progress" in home and "scored part(s)" in home  # the summary is there
    assert drawn == []  # but no chart was drawn for it
    uploads = rig.fake.count("files.completeUploadExternal")
    status, _ = await rig.send.home_click(BOB, SEND_CHART, text="Send my progress chart")
    assert status == 200
    await rig.fake.wait_for(
        lambda: (
            rig.fake.count("files.completeUploadExternal") == uploads + 1
            and rig.fake.count("views.publish") == 2
        )
    )
    assert len(drawn) == 1  # drawn when asked for; the home refreshed after it drew nothing more
