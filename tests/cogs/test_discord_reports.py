"""Reporting a partner and suspensions on Discord, through discord.py against the fake Discord:
the "Report a problem" button on the end-of-session message, its form screens, the admins'
channel, ``/mockadmin reports|suspend|unsuspend``, and a third member's crafted presses."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.core.models import Member
from tests.cogs.rig import (
    admin,
    app,
    click,
    command,
    community_id,
    custom_ids,
    discord_runner,
    fake_discord,
    raw_text_of,
    ready,
    settle,
    start_face,
    text_of,
)
from tests.cogs.test_discord_feedback import fill_form, sent_dms
from tests.conftest import REPORT_WORDING, T0, delivered
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import FakeDiscord

__all__ = ["app", "discord_runner", "fake_discord"]

WROTE = "Kept talking over me **loudly** @everyone <@1>"


def username(fake: FakeDiscord, member: Member) -> str:
    return fake.user(int(member.external_id)).username


async def test_a_report_reaches_the_admins_and_never_the_reported_member(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    put = fake.requests_to("PUT", "/applications/{app}/guilds/{guild}/commands")[-1]
    subs = {o["name"]: o for g in put.json if g["name"] == "mockadmin" for o in g["options"]}
    suspend = {o["name"]: o for o in subs["suspend"]["options"]}
    assert suspend["member"]["type"] == 6 and suspend["member"]["required"] is True
    assert (suspend["days"]["type"], suspend["days"]["min_value"]) == (4, 1)
    assert suspend["reason"]["type"] == 3 and not suspend["reason"].get("required")
    assert {"reports", "unsuspend"} <= set(subs)

    channel = fake.guild.text_channel_id
    saved = await admin(fake, "owner", "setup", {"admin_channel": channel})
    assert "Settings saved" in text_of(saved), text_of(saved)
    await ready(fake, "alice")
    await ready(fake, "bob")
    await command(fake, "carol", "help")  # a member of the server, in no session
    cid = await community_id(app, fake)
    (session,) = (await app.matching.run_round(cid)).sessions
    async with app.db.uow() as tx:
        members = await tx.members.get_many(session.member_ids)
    by_name = {m.display_name: m for m in members.values()}
    alice, bob = username(fake, by_name["Alice"]), username(fake, by_name["Bob"])
    app.clock.set(session.start + timedelta(minutes=session.minutes))  # type: ignore[attr-defined]
    await app.tick()
    await delivered(app)
    await settle(client)

    # The end-of-session message carries "Report a problem" beside "Give feedback".
    (request,) = [m for m in sent_dms(fake, alice) if "Feedback time" in text_of(m)]
    report_id = f"pl:report.open:{session.id}"
    assert custom_ids(request) == [f"pl:feedback.open:{session.id}", report_id]

    # A third member pressing it, and crafted ids, are refused privately; no form opens.
    for who, custom_id in (
        ("carol", report_id),
        ("carol", f"pl:report.submit:{session.id}"),
        (alice, "pl:report.open:" + "0" * 32),
        (alice, "pl:report.open"),
        (alice, "pl:admin.report.resolve:" + "0" * 32),
    ):
        refused = await click(fake, who, custom_id, request["id"])
        assert not [c for c in custom_ids(refused) if c.startswith("plform:")], refused
        assert any(
            w in text_of(refused)
            for w in ("Only the two members", "not valid", "Only community admins", "no longer")
        ), (custom_id, text_of(refused))

    start = await click(fake, alice, report_id, request["id"])
    assert "Report a problem" in text_of(start), text_of(start)
    reply, pages = await fill_form(
        fake,
        alice,
        start,
        lambda select: "rude",
        lambda text_input: WROTE,
    )
    assert "Thank you for telling us" in text_of(reply), text_of(reply)
    picked = [
        o["value"]
        for p in pages
        for row in p.get("components", [])
        for c in row["components"]
        if c.get("type") == 3
        for o in c["options"]
    ]
    assert picked == ["no-show-dispute", "rude", "inappropriate", "other"]
    again = await click(fake, alice, report_id, request["id"])
    assert "already reported" in text_of(again)
    await app.tick()
    await delivered(app)
    await settle(client)

    # The admins' channel has it: the text escaped, nobody pinged, a Resolve button.
    (notice,) = [m for m in fake.messages_in(channel) if "reported a problem" in text_of(m)]
    assert "Alice reported Bob" in text_of(notice), text_of(notice)
    raw = raw_text_of(notice)
    assert "@\u200beveryone" in raw and "\\<@1\\>" in raw, raw  # no ping, no mention
    posted = [
        r
        for r in fake.requests_to("POST", "/channels/{id}/messages")
        if r.response and r.response.get("id") == notice["id"]
    ]
    assert posted and posted[0].json["allowed_mentions"]["parse"] == []
    assert not posted[0].json["allowed_mentions"].get("users")
    # Bob: nothing he was sent, and none of his replies, says anything of it.
    bob_sees = [text_of(m) for m in sent_dms(fake, bob)]
    bob_sees += [
        text_of(await command(fake, bob, sub)) for sub in ("history", "blocked", "upcoming")
    ]
    for seen in bob_sees:
        assert "loudly" not in seen and not REPORT_WORDING.search(seen), seen
    assert "Bob" in text_of(await command(fake, alice, "blocked"))

    # Admins only: the reports view, suspend, unsuspend and Resolve.
    for sub, options in (
        ("reports", {}),
        ("suspend", {"member": "alice", "days": 2}),
        ("unsuspend", {"member": "alice"}),
    ):
        refused = await admin(fake, bob, sub, options)
        assert "Only community admins" in text_of(refused), (sub, text_of(refused))
    resolve = next(c for c in custom_ids(notice) if c.startswith("pl:admin.report.resolve:"))
    assert "Only community admins" in text_of(await click(fake, bob, resolve, notice["id"]))
    view = await admin(fake, "owner", "reports")
    assert "Rude: Alice about Bob" in text_of(view) and "open" in text_of(view).lower()
    assert resolve in custom_ids(view)
    assert "resolved" in text_of(await click(fake, "owner", resolve, view["id"]))
    assert "Resolved" in text_of(await admin(fake, "owner", "reports"))
    await settle(client)


async def test_suspend_refuses_schedule_with_the_end_date_and_unsuspend_lets_him_match(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await ready(fake, "alice")
    await command(fake, "bob", "help")
    done = await admin(fake, "owner", "suspend", {"member": "bob", "days": 2, "reason": "spam"})
    assert "suspended from matching until <t:" in text_of(done), text_of(done)
    await app.tick()
    await delivered(app)
    await settle(client)
    ends = int((T0 + timedelta(days=2)).timestamp())
    (told,) = [m for m in sent_dms(fake, "bob") if "Matching paused" in text_of(m)]
    assert f"<t:{ends}:F>" in text_of(told) and "spam" not in text_of(told)

    await command(
        fake,
        "bob",
        "profile",
        {"timezone": "Europe/Berlin", "track": "backend", "level": "mid", "types": "coding"},
    )
    await command(fake, "bob", "availability", {"text": "daily 08:00-22:00"})
    refused = await command(fake, "bob", "schedule", {"type": "coding"})
    assert f"paused your matching until <t:{ends}:F>" in text_of(refused), text_of(refused)
    assert not (await app.matching.run_round(await community_id(app, fake))).sessions

    lifted = await admin(fake, "owner", "unsuspend", {"member": "bob"})
    assert "can be matched again" in text_of(lifted)
    await command(fake, "bob", "schedule", {"type": "coding"})
    assert len((await app.matching.run_round(await community_id(app, fake))).sessions) == 1
    view = text_of(await admin(fake, "owner", "reports"))
    assert "Bob" in view and "spam" in view and "lifted" in view
    await settle(client)
