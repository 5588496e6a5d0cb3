"""The Discord face on an SRE postmortem-review session: the postmortem is the statement the
candidate reads in the thread, and its planted gaps reach the interviewer's DMs only.

The real discord.py client against the local fake Discord; request bodies are validated
against Discord's OpenAPI spec by the ``fake_discord`` fixture at teardown.
"""

from __future__ import annotations

import dataclasses

from bot.app import App
from tests.cogs.rig import (
    app,
    click,
    command,
    community_id,
    custom_ids,
    discord_runner,
    fake_discord,
    settle,
    start_face,
    text_of,
)
from tests.conftest import delivered
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import FakeDiscord

__all__ = ["app", "discord_runner", "fake_discord"]

FIRST = "sre-pm-checkout-slowdown"
SECOND = "sre-pm-expired-certificate"


async def test_planted_gaps_reach_the_interviewer_only(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    for user in ("alice", "bob"):
        await command(
            fake,
            user,
            "profile",
            {
                "timezone": "Europe/Berlin",
                "track": "sre",
                "level": "mid",
                "types": "sre-troubleshooting",
            },
        )
        await command(fake, user, "availability", {"text": "daily 08:00-22:00"})
        await command(
            fake, user, "schedule", {"type": "sre-troubleshooting", "role": "swap", "days": 7}
        )
    cid = await community_id(app, fake)
    outcome = await app.matching.run_round(cid)
    assert len(outcome.sessions) == 1, outcome
    async with (
        app.db.uow() as tx
    ):  # both parts on postmortem reviews (selection is tested elsewhere)
        session = await tx.sessions.get(outcome.sessions[0].id)
        assert session is not None
        session = dataclasses.replace(session, prompt_ids=(FIRST, SECOND))
        await tx.sessions.save(session)
        interviewer = await tx.members.get(session.interviewer_id)
        candidate = await tx.members.get(session.candidate_id)
    assert interviewer is not None and candidate is not None
    await app.tick()
    await delivered(app)
    (create,) = fake.requests_to("POST", "/channels/{id}/threads")
    thread_id = int(create.response["id"])
    (announcement,) = fake.messages_in(thread_id)
    confirm = next(c for c in custom_ids(announcement) if c.startswith("pl:session.confirm:"))
    for user in ("alice", "bob"):
        await click(fake, user, confirm, announcement["id"])
    await settle(client)

    mark = len(fake.messages_in(thread_id))
    app.clock.set(session.start)  # type: ignore[attr-defined]
    await app.tick()
    await delivered(app)
    await settle(client)
    prompt = app.prompts.get(FIRST)
    assert prompt.postmortem is not None
    gaps = [g.gap for g in prompt.postmortem.gaps]

    def guide_text() -> str:
        return "\n".join(text_of(m) for m in fake.dms_to(int(interviewer.external_id)))

    await fake.wait_until(
        lambda: all(gap[:50] in guide_text() for gap in gaps), what="the guide's gaps", timeout=30.0
    )
    await fake.wait_until(
        lambda: any(
            "POSTMORTEM: Checkout slowdown" in text_of(m)
            for m in fake.messages_in(thread_id)[mark:]
        ),
        what="the statement",
        timeout=30.0,
    )
    thread = "\n".join(text_of(m) for m in fake.messages_in(thread_id)[mark:])
    assert "POSTMORTEM: Checkout slowdown" in thread  # the candidate reads the postmortem
    assert not any(gap[:50] in thread for gap in gaps)
    guide = guide_text()
    assert "Planted gaps the candidate should find" in guide
    assert all(gap[:50] in guide for gap in gaps)
    assert "To meet the bar" in guide
    candidate_dms = "\n".join(text_of(m) for m in fake.dms_to(int(candidate.external_id)))
    assert not any(gap[:50] in candidate_dms for gap in gaps)
    await settle(client)
