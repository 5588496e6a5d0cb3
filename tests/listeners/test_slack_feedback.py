"""The Slack face through a whole session: matching, the start and the swap, the end, the
feedback modals (refused, accepted, retried), the reveal, then progress and history.

Signed requests reach the bolt app over HTTP; every Web API call goes to the local fake
Slack (``tests/fakes/fake_slack.py``), and the assertions are on what the fake received.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.adapters.slack_render import escape
from bot.core.clock import FakeClock
from bot.core.feedback_models import Feedback, FeedbackRole
from bot.core.models import Member
from bot.listeners.slack import EVENTS_PATH
from tests.conftest import delivered
from tests.fakes.fake_slack import FakeSlack
from tests.listeners import test_slack as base
from tests.listeners.test_slack import (
    ALICE,
    BOB,
    Rig,
    blob,
    community_id,
    listeners_done,
    ready,
    reply_text,
    responses,
)

rig = base.rig

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
ADMIN_NOTE = "ADMIN-ONLY: arrived late, keep an eye on it"
STRENGTHS = "STRENGTHS-MARK: a clear plan before coding and well chosen tests"
IMPROVE = "IMPROVE-MARK: say the complexity out loud before writing code"
TIP = "TIP-MARK: give the hint a little earlier"


# -- what the fake received -----------------------------------------------------------------


def posts_to(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [a for a in fake.of("chat.postMessage") if a["channel"] == channel]


def dms(fake: FakeSlack, user: str) -> list[dict[str, Any]]:
    """Messages posted in the member's direct messages with the app (the fake names them D<user>)."""
    return posts_to(fake, f"D{user}")


def space_posts(fake: FakeSlack) -> list[dict[str, Any]]:
    return [a for a in fake.of("chat.postMessage") if str(a["channel"]).startswith("G")]


def action_ids(messages: list[dict[str, Any]], prefix: str) -> list[str]:
    return [
        e["action_id"]
        for m in messages
        for b in m.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith(prefix)
    ]


def seen(value: object) -> str:
    """What was sent, as text (non-ASCII kept as is, so it compares with the bank's text)."""
    return json.dumps(value, ensure_ascii=False, default=str)


def text_of(message: dict[str, Any]) -> str:
    """Every piece of text in a posted message: its fallback text and its blocks' texts."""
    parts = [str(message.get("text") or "")]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks") or [])
    return "\n".join(parts)


def everything(fake: FakeSlack) -> str:
    return seen([args for name, args in fake.calls if name != "upload"])


def headers_of(message: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in message.get("blocks") or [] if b["type"] == "header"]


# -- the modal --------------------------------------------------------------------------------


def input_blocks(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def fill(
    view: dict[str, Any], *, score: str, overrides: dict[str, str | None] | None = None
) -> dict[str, Any]:
    """``view.state.values`` as Slack sends them: a ``static_select`` carries
    ``selected_option`` (null when nothing is chosen), a ``plain_text_input`` its ``value``."""
    texts = {"strengths": STRENGTHS, "improvements": IMPROVE, "admin_note": ADMIN_NOTE}
    overrides = overrides or {}
    state: dict[str, Any] = {}
    for block_id, block in input_blocks(view).items():
        element = block["element"]
        action_id = element["action_id"]
        if element["type"] == "static_select":
            if block_id.startswith(("score.", "self.", "rate.")) or block_id == "prompt_quality":
                chosen: str | None = score
            else:
                chosen = element["options"][0]["value"]
            chosen = overrides.get(block_id, chosen)
            state[block_id] = {
                action_id: {
                    "type": "static_select",
                    "selected_option": None
                    if chosen is None
                    else {"value": chosen, "text": {"type": "plain_text", "text": chosen}},
                }
            }
        else:
            assert element["type"] == "plain_text_input", element
            value = overrides.get(block_id, texts.get(block_id, TIP))
            state[block_id] = {action_id: {"type": "plain_text_input", "value": value}}
    return state


async def stored(rig: Rig, session_id: str) -> list[Feedback]:
    async with rig.app.db.uow() as tx:
        return list(await tx.feedback.for_session(session_id))


async def click_reply(rig: Rig, user: str, action_id: str, channel: str) -> dict[str, Any]:
    """Click a button; the one reply through its response URL."""
    status, _, key = await rig.send.click(user, action_id, channel)
    assert status == 200
    await rig.fake.wait_for(lambda: bool(responses(rig.fake, key)))
    await listeners_done()
    (answer,) = responses(rig.fake, key)
    return answer


async def open_feedback(rig: Rig, user: str, button: str) -> dict[str, Any]:
    """Click “Give feedback” in the DM: one views.open, the modal it opened."""
    fake = rig.fake
    opened = fake.count("views.open")
    status, _, key = await rig.send.click(user, button, f"D{user}")
    assert status == 200
    await fake.wait_for(
        lambda: fake.count("views.open") == opened + 1 and len(responses(fake, key)) == 1
    )
    await listeners_done()
    view: dict[str, Any] = fake.of("views.open")[-1]["view"]
    assert view["type"] == "modal" and view["callback_id"].startswith("pl:feedback.submit:")
    # the private reply lists what is still to do
    listed = responses(fake, key)[0]
    assert listed["response_type"] == "ephemeral" and "(to do)" in seen(listed)
    return view


async def submit_ok(
    rig: Rig,
    user: str,
    view: dict[str, Any],
    values: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> str:
    """A submission the app accepts: an empty 200 (the modal closes), then a private note."""
    fake = rig.fake
    noted = len(posts_to(fake, user))
    status, text = await rig.send.submit(user, view, values, headers=headers or {})
    assert status == 200 and text == "", text
    # the modal was opened from a DM button, so it carries no channel: the note goes to the
    # member's own id, which Slack delivers in their direct messages with the app
    await fake.wait_for(lambda: len(posts_to(fake, user)) == noted + 1)
    await listeners_done()  # and whatever it delivered after the note
    return seen(posts_to(fake, user)[-1])


# -- the scenario -----------------------------------------------------------------------------


async def test_session_and_feedback_end_to_end(rig: Rig, clock: FakeClock) -> None:
    fake, send, app = rig.fake, rig.send, rig.app
    assert send.url.endswith(EVENTS_PATH)
    for user in (ALICE, BOB):
        await ready(rig, user)
        answer = await reply_text(rig, user, "schedule type:coding role:swap")
        assert "coding" in text_of(answer).lower()

    outcome = await app.matching.run_round(await community_id(app))
    assert len(outcome.sessions) == 1
    await app.tick()
    await delivered(app)
    (booked,) = [p for p in space_posts(fake) if action_ids([p], "pl:session.confirm:")]
    space = booked["channel"]
    (confirm,) = action_ids([booked], "pl:session.confirm:")
    session_id = confirm.split(":")[2]  # pl:session.confirm:<session>:<version>
    for user in (ALICE, BOB):
        answer = await click_reply(rig, user, confirm, space)
        assert answer["response_type"] == "ephemeral" and ":x:" not in seen(answer)

    async with app.db.uow() as tx:
        session = await tx.sessions.get(session_id)
        assert session is not None and len(session.confirmed_by) == 2 and session.swap
        members: dict[str, Member] = await tx.members.get_many(session.member_ids)
    slack_id = {m.id: m.external_id for m in members.values()}
    first_interviewer, first_candidate = (
        slack_id[session.interviewer_id],
        slack_id[session.candidate_id],
    )
    assert {first_interviewer, first_candidate} == {ALICE, BOB}
    prompts = [app.prompts.get(p) for p in session.prompt_ids]
    rubric = app.prompts.rubric(prompts[0].rubric)
    assert rubric.id == app.prompts.rubric(prompts[1].rubric).id
    anchors = [escape(d.anchors[n][:40]) for d in rubric.dimensions for n in (1, 4)]

    def interviewer_material(messages: list[dict[str, Any]]) -> list[str]:
        text = "\n".join(text_of(m) for m in messages)
        return [m for m in ("A strong answer covers", "Rubric: ", *anchors) if m in text]

    # -- the start: the statement in the group DM, the guide by DM to the interviewer only
    marks = {u: len(dms(fake, u)) for u in (ALICE, BOB)}
    space_mark = len(space_posts(fake))
    clock.set(session.start)
    await app.tick()
    await delivered(app)
    started = space_posts(fake)[space_mark:]
    assert [h for p in started for h in headers_of(p)] == [f"Part 1: {prompts[0].title}"]
    assert all(p["channel"] == space for p in started)
    assert interviewer_material(started) == []
    guide = dms(fake, first_interviewer)[marks[first_interviewer] :]
    assert len(guide) > 1 and "A strong answer covers" in blob(guide[0])
    # the guide comes in pages, and together they hold the whole rubric: every anchor
    whole = "\n".join(text_of(m) for m in guide)
    assert all(a in whole for a in anchors) and f"Rubric: {rubric.dimensions[-1].name}" in whole
    assert interviewer_material(dms(fake, first_candidate)) == []

    # -- the swap: the second statement, the second guide to the other member
    marks = {u: len(dms(fake, u)) for u in (ALICE, BOB)}
    space_mark = len(space_posts(fake))
    clock.set(session.start + timedelta(minutes=session.minutes // 2))
    await app.tick()
    await delivered(app)
    swapped = space_posts(fake)[space_mark:]
    assert [h for p in swapped for h in headers_of(p)] == [f"Part 2: {prompts[1].title}"]
    assert interviewer_material(swapped) == []
    second = dms(fake, first_candidate)[marks[first_candidate] :]
    assert len(second) > 1 and "A strong answer covers" in blob(second[0])
    assert escape(prompts[1].guide.strong_answer[0][:40]) in text_of(second[0])
    assert interviewer_material(dms(fake, first_interviewer)[marks[first_interviewer] :]) == []

    # -- the end: both asked for feedback in their DMs, with a button
    marks = {u: len(dms(fake, u)) for u in (ALICE, BOB)}
    clock.set(session.start + timedelta(minutes=session.minutes))
    await app.tick()
    await delivered(app)
    ask = {}
    for user in (ALICE, BOB):
        new = dms(fake, user)[marks[user] :]
        assert [headers_of(m) for m in new] == [["Feedback time"]]
        (ask[user],) = action_ids(new, "pl:feedback.open:")
        assert ask[user] == f"pl:feedback.open:{session_id}"
    assert interviewer_material([m for u in (ALICE, BOB) for m in dms(fake, u)[marks[u] :]]) == []

    # -- part 1, the interviewer's form: one modal with the whole rubric form
    view = await open_feedback(rig, first_interviewer, ask[first_interviewer])
    assert view["callback_id"] == f"pl:feedback.submit:{session_id}:1:interviewer"
    blocks = input_blocks(view)
    assert set(blocks) == {f"score.{d.id}" for d in rubric.dimensions} | {
        "verdict",
        "help_needed",
        "strengths",
        "improvements",
        "admin_note",
    }
    assert len(blocks) > 5, "more inputs than one Discord page: Slack still shows them in one modal"
    for d in rubric.dimensions:
        element = blocks[f"score.{d.id}"]["element"]
        assert element["type"] == "static_select"
        assert [o["value"] for o in element["options"]] == ["1", "2", "3", "4"]
        assert d.anchors[4][:40] in element["options"][3]["description"]["text"]  # plain text
    assert blocks["strengths"]["element"]["type"] == "plain_text_input"
    assert blocks["admin_note"]["optional"] is True

    # refused: no verdict chosen and strengths too short; the errors name them, nothing is stored
    bad = fill(view, score="3", overrides={"verdict": None, "strengths": "ok"})
    status, text = await send.submit(first_interviewer, view, bad)
    assert status == 200
    refused = json.loads(text)
    assert refused["response_action"] == "errors"
    # each problem beside its own input (Slack accepts only the modal's input block ids)
    assert set(refused["errors"]) == {"verdict", "strengths"}
    assert "Verdict" in refused["errors"]["verdict"]
    assert "Strengths: 2 characters" in refused["errors"]["strengths"]
    # a score outside 1 to 4 is refused the same way
    status, text = await send.submit(first_interviewer, view, fill(view, score="5"))
    assert status == 200 and json.loads(text)["response_action"] == "errors"
    assert "accepted: 1, 2, 3 or 4" in text
    assert await stored(rig, session_id) == []

    note = await submit_ok(rig, first_interviewer, view, fill(view, score="3"))
    assert "Thanks, saved" in note
    (saved,) = await stored(rig, session_id)
    assert saved.role is FeedbackRole.INTERVIEWER and saved.part == 1
    assert saved.scores == {d.id: 3 for d in rubric.dimensions}
    assert saved.verdict and saved.strengths == STRENGTHS and saved.admin_note == ADMIN_NOTE
    assert saved.revealed_at is None

    # before the candidate submits, nothing is revealed to anyone
    await app.tick()
    await delivered(app)
    assert not any(STRENGTHS in blob(m) for m in dms(fake, first_candidate))
    assert not any(
        "Feedback from" in blob(m) or "rated your interviewing" in blob(m)
        for u in (ALICE, BOB)
        for m in dms(fake, u)
    )

    # -- part 1, the candidate's form: self-scores and ratings
    view_c = await open_feedback(rig, first_candidate, ask[first_candidate])
    assert view_c["callback_id"] == f"pl:feedback.submit:{session_id}:1:candidate"
    blocks_c = input_blocks(view_c)
    assert {f"self.{d.id}" for d in rubric.dimensions} <= set(blocks_c)
    assert "admin_note" not in blocks_c and "verdict" not in blocks_c
    status, text = await send.submit(
        first_candidate, view_c, fill(view_c, score="2", overrides={"prompt_quality": None})
    )
    assert status == 200 and json.loads(text)["response_action"] == "errors"
    assert (
        list(json.loads(text)["errors"]) == ["prompt_quality"] and "Quality of the question" in text
    )
    assert len(await stored(rig, session_id)) == 1

    marks = {u: len(dms(fake, u)) for u in (ALICE, BOB)}
    ratings: dict[str, str | None] = {
        "rate.preparation": "4",
        "rate.usefulness": "3",
        "rate.again": "4",
        "prompt_quality": "3",
        "improvements": TIP,
    }
    candidate_values = fill(view_c, score="1", overrides=ratings)  # self-scores 1, ratings 3 and 4
    note = await submit_ok(rig, first_candidate, view_c, candidate_values)
    assert "shared with each other" in note
    await fake.wait_for(lambda: all(len(dms(fake, u)) > marks[u] for u in (ALICE, BOB)))
    rows = await stored(rig, session_id)
    assert len(rows) == 2 and all(f.revealed_at is not None for f in rows)
    self_scores = next(f for f in rows if f.role is FeedbackRole.CANDIDATE).scores
    assert self_scores == {d.id: 1 for d in rubric.dimensions}

    # the reveal: each gets the other's feedback by DM; never the admin note, never self-scores
    (to_candidate,) = dms(fake, first_candidate)[marks[first_candidate] :]
    (to_interviewer,) = dms(fake, first_interviewer)[marks[first_interviewer] :]
    assert headers_of(to_candidate)[0].startswith("Feedback from")
    assert STRENGTHS in text_of(to_candidate) and IMPROVE in text_of(to_candidate)
    assert all(f"{d.name}: 3/4" in text_of(to_candidate) for d in rubric.dimensions)
    assert "rated your interviewing" in headers_of(to_interviewer)[0]
    assert TIP in text_of(to_interviewer) and "Preparation: 4/4" in text_of(to_interviewer)
    assert "Usefulness of the feedback: 3/4" in text_of(to_interviewer)
    # self-scores stay private: no dimension, no 1/4
    assert "1/4" not in text_of(to_interviewer)
    assert not any(
        d.name in text_of(to_interviewer) or d.id in text_of(to_interviewer)
        for d in rubric.dimensions
    )
    assert "/4" not in text_of(to_candidate).replace(": 3/4", ""), "only the interviewer's scores"
    assert ADMIN_NOTE not in everything(fake)

    # a retried delivery of the candidate's submission changes nothing
    calls = len(fake.calls)
    note = await submit_ok(rig, first_candidate, view_c, candidate_values, headers=RETRY)
    assert "nothing changed" in note
    assert await stored(rig, session_id) == rows
    assert [(name, args.get("channel")) for name, args in fake.calls[calls:]] == [
        ("chat.postMessage", first_candidate)
    ]

    # -- part 2: the roles swap; the same button opens each member's next form
    view_2i = await open_feedback(rig, first_candidate, ask[first_candidate])
    assert view_2i["callback_id"] == f"pl:feedback.submit:{session_id}:2:interviewer"
    view_2c = await open_feedback(rig, first_interviewer, ask[first_interviewer])
    assert view_2c["callback_id"] == f"pl:feedback.submit:{session_id}:2:candidate"
    marks = {u: len(dms(fake, u)) for u in (ALICE, BOB)}
    assert "Thanks, saved" in await submit_ok(
        rig, first_candidate, view_2i, fill(view_2i, score="4", overrides={"admin_note": ""})
    )
    assert all(len(dms(fake, u)) == marks[u] for u in (ALICE, BOB))
    assert "shared with each other" in await submit_ok(
        rig, first_interviewer, view_2c, fill(view_2c, score="1")
    )
    await fake.wait_for(lambda: all(len(dms(fake, u)) == marks[u] + 1 for u in (ALICE, BOB)))
    assert all(
        f"{d.name}: 4/4" in text_of(dms(fake, first_interviewer)[-1]) for d in rubric.dimensions
    )
    assert len(await stored(rig, session_id)) == 4

    # -- /mock progress: the chart goes up as a PNG by files_upload_v2
    uploads = fake.count("files.completeUploadExternal")
    answer = await reply_text(rig, first_candidate, "progress")
    assert "Your progress" in text_of(answer)
    await fake.wait_for(lambda: fake.count("files.completeUploadExternal") == uploads + 1)
    png = fake.of("upload")[-1]["data"]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert fake.of("files.getUploadURLExternal")[-1]["filename"] == "peerloop-progress.png"
    completed = fake.of("files.completeUploadExternal")[-1]
    assert completed["channel_id"] == f"D{first_candidate}"
    assert [f["id"] for f in completed["files"]] == [fake.of("upload")[-1]["file_id"]]
    # the figures as alt text (Slack takes it when asked for the upload address)
    assert fake.of("files.getUploadURLExternal")[-1]["alt_txt"].startswith(
        "Your scores per rubric dimension"
    )

    # -- /mock history: the session, with its interviewer and prompt
    answer = await reply_text(rig, first_candidate, "history")
    assert "Your history" in text_of(answer)
    interviewer_name = next(
        m.display_name for m in members.values() if m.external_id == first_interviewer
    )
    assert f"with {interviewer_name}" in text_of(answer) and prompts[0].title in text_of(answer)
    assert "Average 3.0/4" in text_of(answer)
    answer = await reply_text(rig, first_interviewer, "history")
    assert prompts[1].title in text_of(answer) and "Average 4.0/4" in text_of(answer)

    # -- the App Home: profile, upcoming, feedback owed, progress and the digest setting;
    #    the chart comes as a file through a button (home tabs show no uploads)
    published = fake.count("views.publish")
    status, _ = await send.event(
        {"type": "app_home_opened", "user": first_candidate, "tab": "home", "channel": "D1"}
    )
    assert status == 200
    await fake.wait_for(lambda: fake.count("views.publish") == published + 1)
    home = json.dumps(fake.of("views.publish")[-1]["view"])
    assert all(
        part in home
        for part in ("Your profile", "Your progress", "Weekly digest", "pl:slack.chart")
    )
    uploads = fake.count("files.completeUploadExternal")
    status, _ = await send.home_click(
        first_candidate, "pl:slack.chart", text="Send my progress chart"
    )
    assert status == 200
    await fake.wait_for(lambda: fake.count("files.completeUploadExternal") == uploads + 1)
    assert fake.of("upload")[-1]["data"].startswith(b"\x89PNG\r\n\x1a\n")
    assert fake.of("files.completeUploadExternal")[-1]["channel_id"] == f"D{first_candidate}"
