"""A whole session on Discord: matching, the start, the swap, the end, the real feedback forms.

Two members go through the real discord.py client against the local fake Discord: slash
commands, button clicks, select menus and modal submits, and every assertion is on what the
fake received (thread messages, direct messages, interaction responses). Request bodies are
validated against Discord's OpenAPI spec by the ``fake_discord`` fixture at teardown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.app import App
from bot.core.bank import VERDICT_LABELS, Prompt, Rubric
from bot.core.feedback_models import Feedback, FeedbackRole
from bot.core.models import Member, SessionState
from tests.cogs.rig import (
    app,
    click,
    command,
    community_id,
    custom_ids,
    discord_runner,
    fake_discord,
    ready,
    reply_to,
    settle,
    start_face,
    text_of,
)
from tests.conftest import delivered
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import EPHEMERAL, FakeDiscord

__all__ = ["app", "discord_runner", "fake_discord"]

GUIDE_MARK = "A strong answer covers"
ADMIN_NOTE = "Admin only: arrived five minutes late."
STRENGTHS = {
    1: "Clear structure, talked through edge cases early.",
    2: "Good questions about scale up front.",
}
IMPROVE = {
    1: "State the complexity before you start coding.",
    2: "Check the empty input before submitting.",
}
TIP = "Give the first hint a little earlier."


def sent_dms(fake: FakeDiscord, user: str) -> list[dict[str, Any]]:
    """What the bot sent to a member's DMs by itself (not the replies to their own clicks)."""
    return [m for m in fake.dms_to(user) if "webhook_id" not in m]


def title_of(message: dict[str, Any]) -> str:
    embeds = message.get("embeds") or []
    return str(embeds[0].get("title") or "") if embeds else ""


def username(fake: FakeDiscord, member: Member) -> str:
    return fake.user(int(member.external_id)).username


Picker = Callable[[dict[str, Any]], str]
Writer = Callable[[dict[str, Any]], str]


async def fill_form(
    fake: FakeDiscord, user: str, start: dict[str, Any], pick: Picker, write: Writer
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Walk a form's select-then-modal pages like a member in their DMs.

    ``pick`` chooses a value for each select menu, ``write`` the text for each modal input.
    Returns the core's final (private) reply and every page seen (select messages, modals).
    """
    (open_id,) = [c for c in custom_ids(start) if c.startswith("plform:")]
    sent = await fake.interact(fake.button_click(user, open_id, start["id"]))
    pages: list[dict[str, Any]] = []
    for _ in range(20):
        body = await fake.wait_for_interaction_response(sent)
        if body["type"] == 5:  # the last page: deferred, then the core's answer
            return await reply_to(fake, sent), pages
        if (
            body["type"] == 6
        ):  # the last page from a screen: that screen is edited, the answer follows

            def posted(sent: dict[str, Any] = sent) -> list[Any]:
                return [f for f in fake.followups(sent["id"]) if f.method == "POST"]

            await fake.wait_until(lambda: bool(posted()), what="the answer")
            first = posted()[0]
            assert first.json["flags"] & EPHEMERAL
            screen = fake.find_message(sent["message"]["id"])
            assert (
                screen is not None
                and screen["content"].startswith("✓ Sent")
                and not screen["components"]
            )
            return {**first.json, "id": first.response["id"]}, pages
        if body["type"] == 9:
            modal = body["data"]
            pages.append(modal)
            inputs = {
                row["components"][0]["custom_id"]: write(row["components"][0])
                for row in modal["components"]
            }
            sent = await fake.interact(
                fake.modal_submit(user, modal["custom_id"], inputs, guild=None)
            )
            continue
        assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL, body
        page = fake.interactions[int(sent["id"])]["original"]
        pages.append(page)
        parts = [c for row in page["components"] for c in row["components"]]
        for select in (c for c in parts if c["type"] == 3):
            picked = await fake.interact(
                fake.select(user, select["custom_id"], [pick(select)], page["id"])
            )
            assert await fake.wait_for_interaction_response(picked) == {"type": 6}
        (button,) = [c for c in parts if c["type"] == 2]
        sent = await fake.interact(fake.button_click(user, button["custom_id"], page["id"]))
    raise AssertionError("the form never ended")


def assert_steps_counted_as_seen(start: dict[str, Any], pages: list[dict[str, Any]]) -> None:
    """The intro's step count is the number of screens, and they are titled 1/N … N/N."""
    (count,) = re.findall(r"\((\d+) steps\)", text_of(start))
    titles = [
        p["title"] if "title" in p else p["content"].strip("*")
        for p in pages
        if not p.get("content", "").startswith("Saved. Next:")
    ]  # the button between two modals
    assert len(titles) == int(count), (count, titles)
    assert [re.search(r"\((\d+)/(\d+)\)$", t).groups() for t in titles] == [  # type: ignore[union-attr]
        (str(n), count) for n in range(1, len(titles) + 1)
    ], titles


def selects_of(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        c
        for p in pages
        if "components" in p and "title" not in p
        for row in p["components"]
        for c in row["components"]
        if c["type"] == 3
    ]


def interviewer_answers(rubric: Rubric, part: int) -> tuple[dict[str, int], Picker, Writer]:
    """Scores 3, 2, 4, 1, ... by dimension; verdict lean-yes; help with the second dimension."""
    scores = {d.id: (3, 2, 4, 1)[i % 4] for i, d in enumerate(rubric.dimensions)}

    def pick(select: dict[str, Any]) -> str:
        placeholder = select["placeholder"]
        for d in rubric.dimensions:
            if d.name in placeholder:
                return str(scores[d.id])
        if "Verdict" in placeholder:
            return "lean-yes"
        if "practice help" in placeholder:
            return rubric.dimensions[1].id
        raise AssertionError(f"a select nobody can tell apart: {placeholder!r}")

    def write(text_input: dict[str, Any]) -> str:
        label = text_input["label"]
        if label == "Strengths":
            return STRENGTHS[part]
        if label == "What to improve":
            return IMPROVE[part]
        if label.startswith("Private note for admins"):
            return ADMIN_NOTE
        raise AssertionError(f"unexpected input {label!r}")

    return scores, pick, write


def candidate_answers(rubric: Rubric) -> tuple[dict[str, int], Picker, Writer]:
    """Self-scores all 4 (private); the interviewer rated 4, 3, 2; the prompt 3; a tip."""
    ratings = {"Preparation": "4", "Usefulness": "3", "again": "2"}

    def pick(select: dict[str, Any]) -> str:
        placeholder = select["placeholder"]
        if any(d.name in placeholder for d in rubric.dimensions):
            return "4"
        for word, value in ratings.items():
            if word in placeholder:
                return value
        if "Quality of the question" in placeholder:
            return "3"
        raise AssertionError(f"a select nobody can tell apart: {placeholder!r}")

    def write(text_input: dict[str, Any]) -> str:
        assert text_input["label"].startswith("Tip for your interviewer"), text_input
        return TIP

    return {d.id: 4 for d in rubric.dimensions}, pick, write


async def feedback_rows(app: App, session_id: str) -> dict[tuple[int, FeedbackRole], Feedback]:
    async with app.db.uow() as tx:
        return {(f.part, f.role): f for f in await tx.feedback.for_session(session_id)}


async def test_a_session_on_discord_from_pairing_to_the_feedback_reveal(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)

    # -- matching: profiles and requests by slash command, a round, both confirm by button
    await ready(fake, "alice")
    await ready(fake, "bob")
    cid = await community_id(app, fake)
    outcome = await app.matching.run_round(cid)
    assert len(outcome.sessions) == 1, outcome
    await app.tick()
    await delivered(app)
    (create,) = fake.requests_to("POST", "/channels/{id}/threads")
    thread_id = int(create.response["id"])
    (announcement,) = fake.messages_in(thread_id)
    confirm = next(c for c in custom_ids(announcement) if c.startswith("pl:session.confirm:"))
    for user in ("alice", "bob"):
        reply = await click(fake, user, confirm, announcement["id"])
        assert reply["content"].startswith("Confirmed for <t:"), reply
        await settle(client)
    assert any("Both of you are in." in (m["content"] or "") for m in fake.messages_in(thread_id))

    async with app.db.uow() as tx:
        (session,) = await tx.sessions.for_community(cid)
        members = await tx.members.get_many(session.member_ids)
    assert session.swap and session.state is SessionState.CONFIRMED
    first = username(fake, members[session.interviewer_id])  # interviews in part 1
    second = username(fake, members[session.candidate_id])  # interviews in part 2
    first_name, second_name = (
        members[session.interviewer_id].display_name,
        members[session.candidate_id].display_name,
    )
    prompts: list[Prompt] = [app.prompts.get(p) for p in session.prompt_ids]
    rubrics: list[Rubric] = [app.prompts.rubric(p.rubric) for p in prompts]
    anchors = [a[:40] for r in rubrics for d in r.dimensions for a in d.anchors.values()]
    seen = {u: len(sent_dms(fake, u)) for u in (first, second)}

    def new_dms(user: str) -> list[dict[str, Any]]:
        fresh = sent_dms(fake, user)[seen[user] :]
        seen[user] += len(fresh)
        return fresh

    # -- the start: the statement in the thread, the guide and rubric by DM to the interviewer only
    mark = len(fake.messages_in(thread_id))
    app.clock.set(session.start)  # type: ignore[attr-defined]
    await app.tick()
    await delivered(app)
    posted = fake.messages_in(thread_id)[mark:]
    (part_one,) = [m for m in posted if title_of(m).startswith(f"Part 1: {prompts[0].title}")]
    assert prompts[0].statement[:60] in text_of(part_one)
    assert not any(GUIDE_MARK in text_of(m) for m in fake.messages_in(thread_id))
    guide_pages = new_dms(first)
    assert guide_pages and all(
        title_of(m).startswith(f"Interviewer guide: {prompts[0].title}") for m in guide_pages
    )
    guide_one = guide_pages[0]
    assert GUIDE_MARK in text_of(guide_one)
    whole = "\n".join(text_of(m) for m in guide_pages)  # the whole rubric, over the pages
    assert all(d.anchors[n][:40] in whole for d in rubrics[0].dimensions for n in (1, 2, 3, 4))
    assert new_dms(second) == []
    candidate_dms = "\n".join(text_of(m) for m in fake.dms_to(second))
    assert GUIDE_MARK not in candidate_dms and not any(a in candidate_dms for a in anchors)

    # -- half time: the swap, the second guide by DM to the other member
    mark = len(fake.messages_in(thread_id))
    app.clock.set(session.start + timedelta(minutes=session.minutes // 2))  # type: ignore[attr-defined]
    await app.tick()
    await delivered(app)
    posted = fake.messages_in(thread_id)[mark:]
    (part_two,) = [m for m in posted if title_of(m).startswith(f"Part 2: {prompts[1].title}")]
    assert prompts[1].statement[:60] in text_of(part_two)
    assert not any(GUIDE_MARK in text_of(m) for m in fake.messages_in(thread_id))
    guide_pages = new_dms(second)
    assert guide_pages and all(
        title_of(m).startswith(f"Interviewer guide: {prompts[1].title}") for m in guide_pages
    )
    guide_two = guide_pages[0]
    assert GUIDE_MARK in text_of(guide_two)
    assert new_dms(first) == []
    first_only = [
        s for s in prompts[0].guide.strong_answer if not any(s in text_of(m) for m in guide_pages)
    ]
    assert first_only and not any(
        s in "\n".join(text_of(m) for m in fake.dms_to(second)) for s in first_only
    )

    # -- the end: both are asked for feedback by DM, with a button
    app.clock.set(session.start + timedelta(minutes=session.minutes))  # type: ignore[attr-defined]
    await app.tick()
    await delivered(app)
    requests: dict[str, dict[str, Any]] = {}
    for user, partner in ((first, second_name), (second, first_name)):
        (request,) = new_dms(user)
        assert "Feedback time" in text_of(request) and partner in text_of(request)
        assert custom_ids(request) == [
            f"pl:feedback.open:{session.id}",
            f"pl:report.open:{session.id}",
        ]
        requests[user] = request
    async with app.db.uow() as tx:
        assert (await tx.sessions.get(session.id)).state is SessionState.COMPLETED  # type: ignore[union-attr]

    # -- the first member: the interviewer's form for part 1, then the self-review for part 2
    start = await click(fake, first, custom_ids(requests[first])[0], requests[first]["id"])
    assert f"You interviewed {second_name} in part 1" in text_of(start), text_of(start)
    # The parts list, the deadline and a button per part travel with the form's start button.
    (embed,) = start["embeds"]
    assert (
        "Part 2: you as candidate" in embed["description"]
        and "Open until <t:" in embed["description"]
    )
    assert f"pl:feedback.open:{session.id}:2:candidate" in custom_ids(start)
    # A third member crafts presses on this form's selects (the lowest score, "strong-no"):
    # each is refused privately and changes nothing (the saved scores and verdict below).
    (open_id,) = [c for c in custom_ids(start) if c.startswith("plform:")]
    for screen, value in ((0, "1"), (1, "strong-no")):
        crafted = open_id.replace(":open", f":{screen}:c0")
        sent = await fake.interact(fake.select("carol", crafted, [value], start["id"]))
        body = await fake.wait_for_interaction_response(sent)
        assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL, body
        assert "belongs to someone else" in text_of(body["data"]), body
    scores_one, pick, write = interviewer_answers(rubrics[0], 1)
    reply, pages = await fill_form(fake, first, start, pick, write)
    assert "Thanks, saved" in text_of(reply) and "shared when your partner submits" in text_of(
        reply
    )
    assert_steps_counted_as_seen(start, pages)
    selects = selects_of(pages)
    assert (
        len(selects) == len(rubrics[0].dimensions) + 2
    )  # the scores, the verdict, where help is needed
    for d in rubrics[0].dimensions:  # each score select says which dimension it scores
        (score,) = [s for s in selects if d.name in s["placeholder"]]
        assert [o["value"] for o in score["options"]] == ["1", "2", "3", "4"]
        assert d.anchors[1].startswith(score["options"][0]["description"].rstrip("…")[:90])
    modals = [p for p in pages if "title" in p and "custom_id" in p]
    labels = [row["components"][0]["label"] for m in modals for row in m["components"]]
    assert labels == ["Strengths", "What to improve", "Private note for admins"]
    # Discord marks required inputs itself; the optional note is sent as not required.
    assert [
        row["components"][0].get("required", True) for m in modals for row in m["components"]
    ] == [True, True, False]
    await settle(client)
    assert new_dms(second) == [] and new_dms(first) == []  # nothing shared before both submit

    start = await click(fake, first, custom_ids(requests[first])[0], requests[first]["id"])
    assert f"{second_name} interviewed you in part 2" in text_of(start), text_of(start)
    self_two, pick, write = candidate_answers(rubrics[1])
    reply, pages = await fill_form(fake, first, start, pick, write)
    assert "Thanks, saved" in text_of(reply)
    assert_steps_counted_as_seen(start, pages)
    await settle(client)
    assert new_dms(second) == [] and new_dms(first) == []

    rows = await feedback_rows(app, session.id)
    assert set(rows) == {(1, FeedbackRole.INTERVIEWER), (2, FeedbackRole.CANDIDATE)}
    given = rows[(1, FeedbackRole.INTERVIEWER)]
    assert given.scores == scores_one and given.verdict == "lean-yes"
    assert given.help_needed == rubrics[0].dimensions[1].id
    assert (given.strengths, given.improvements, given.admin_note) == (
        STRENGTHS[1],
        IMPROVE[1],
        ADMIN_NOTE,
    )
    taken = rows[(2, FeedbackRole.CANDIDATE)]
    assert taken.scores == self_two
    assert taken.interviewer_ratings == {"preparation": 4, "usefulness": 3, "again": 2}
    assert taken.prompt_quality == 3 and taken.improvements == TIP

    # -- the second member: the self-review for part 1 completes it, and part 1 is revealed
    start = await click(fake, second, custom_ids(requests[second])[0], requests[second]["id"])
    assert f"{first_name} interviewed you in part 1" in text_of(start), text_of(start)
    self_one, pick, write = candidate_answers(rubrics[0])
    reply, pages = await fill_form(fake, second, start, pick, write)
    assert "You have both submitted" in text_of(reply), text_of(reply)
    await settle(client)
    # Delivered by the submit itself, like every other call's queued messages (no sweep needed).
    (reveal,) = new_dms(second)
    shown = text_of(reveal)
    assert title_of(reveal) == f"Feedback from {first_name} (part 1)"
    for d in rubrics[0].dimensions:
        assert f"- {d.name}: {scores_one[d.id]}/4" in shown
    assert VERDICT_LABELS["lean-yes"] in shown and STRENGTHS[1] in shown and IMPROVE[1] in shown
    assert ADMIN_NOTE not in shown
    (rated,) = new_dms(first)
    shown = text_of(rated)
    assert title_of(rated) == f"{second_name} rated your interviewing (part 1)"
    assert (
        "Preparation: 4/4" in shown and "Usefulness of the feedback: 3/4" in shown and TIP in shown
    )
    assert not any(d.name in shown for d in rubrics[0].dimensions)  # never the self-scores
    assert (await feedback_rows(app, session.id))[
        (1, FeedbackRole.CANDIDATE)
    ].scores == self_one  # kept, private

    # -- the second member's interviewer form for part 2: part 2 is revealed
    start = await click(fake, second, custom_ids(requests[second])[0], requests[second]["id"])
    assert f"You interviewed {first_name} in part 2" in text_of(start), text_of(start)
    scores_two, pick, write = interviewer_answers(rubrics[1], 2)
    reply, pages = await fill_form(fake, second, start, pick, write)
    assert "You have both submitted" in text_of(reply), text_of(reply)
    final_modal = next(p for p in reversed(pages) if "title" in p and "custom_id" in p)
    await settle(client)
    (reveal,) = new_dms(first)
    shown = text_of(reveal)
    assert title_of(reveal) == f"Feedback from {second_name} (part 2)"
    for d in rubrics[1].dimensions:
        assert f"- {d.name}: {scores_two[d.id]}/4" in shown
    assert STRENGTHS[2] in shown and ADMIN_NOTE not in shown
    (rated,) = new_dms(second)
    assert title_of(rated).startswith(f"{first_name} rated your interviewing (part 2)")
    assert not any(d.name in text_of(rated) for d in rubrics[1].dimensions)
    for user in (first, second):
        assert not any(ADMIN_NOTE in text_of(m) for m in fake.dms_to(user))
    assert not any(ADMIN_NOTE in text_of(m) for m in fake.messages_in(thread_id))

    # -- a double submit changes nothing: the last modal again, and the button after the reveal
    before = await feedback_rows(app, session.id)
    assert len(before) == 4 and all(f.revealed_at is not None for f in before.values())
    inputs = {
        row["components"][0]["custom_id"]: "Something else entirely."
        for row in final_modal["components"]
    }
    sent = await fake.interact(
        fake.modal_submit(second, final_modal["custom_id"], inputs, guild=None)
    )
    body = await fake.wait_for_interaction_response(sent)
    assert body["data"]["flags"] & EPHEMERAL and "expired" in text_of(body["data"]), body
    assert len(fake.interaction_callbacks(sent["id"])) == 1  # answered once, by the refusal
    reply = await click(fake, second, custom_ids(requests[second])[0], requests[second]["id"])
    assert "already been shared" in text_of(reply), text_of(reply)
    await settle(client)
    assert await feedback_rows(app, session.id) == before
    assert new_dms(first) == [] and new_dms(second) == []

    # -- afterwards: progress with a chart, and the history names the session
    for user, partner, prompt in (
        (first, second_name, prompts[1]),
        (second, first_name, prompts[0]),
    ):
        sent = await fake.interact(fake.slash_command(user, fake.guild, "mock", {}, "progress"))
        reply = await reply_to(fake, sent)
        assert "Your progress" in text_of(reply) and "1 scored part(s)" in text_of(reply), text_of(
            reply
        )
        (png,) = fake.followups(sent["id"])[0].files
        assert png.filename == "peerloop-progress.png" and png.data.startswith(b"\x89PNG\r\n\x1a\n")
        assert [a["filename"] for a in reply["attachments"]] == ["peerloop-progress.png"]
        # the picture's figures as its description (Discord's alt text)
        assert reply["attachments"][0]["description"].startswith("Your scores per rubric dimension")
        reply = await command(fake, user, "history")
        assert reply["flags"] & EPHEMERAL
        assert "Your history" in text_of(reply) and "1 session part(s)" in text_of(reply)
        assert f"with {partner}" in text_of(reply) and f"Prompt: {prompt.title}" in text_of(reply)
    await settle(client)
