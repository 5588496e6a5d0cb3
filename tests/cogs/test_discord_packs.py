"""``/mockadmin prompts …`` end to end: the real discord.py client against the fake Discord,
which serves the attached pack file from its CDN route."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.app import App
from bot.core.services.packs import MAX_PACK_BYTES
from tests.cogs.rig import (
    app,
    community_id,
    discord_runner,
    fake_discord,
    reply_to,
    settle,
    start_face,
    text_of,
)
from tests.core.test_packs import coding_pack
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import FakeDiscord

__all__ = ["app", "discord_runner", "fake_discord"]

EXAMPLES = Path(__file__).parents[2] / "bot" / "prompts" / "examples"


async def prompts(
    fake: FakeDiscord, user: str, sub: str, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    sent = await fake.interact(
        fake.slash_command(user, fake.guild, "mockadmin", options or {}, "prompts", sub)
    )
    reply = await reply_to(fake, sent)
    first = fake.followups(sent["id"])[0]
    return {**reply, "_files": {f.filename: f.data for f in first.files}}


async def stored(app: App, fake: FakeDiscord) -> list[str]:
    async with app.db.uow() as tx:
        return [p.name for p in await tx.packs.list(await community_id(app, fake))]


async def test_prompts_group_is_typed_with_an_attachment_option(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    client = await start_face(app, discord_runner)
    (put,) = fake_discord.requests_to("PUT", "/applications/{app}/guilds/{guild}/commands")
    group = next(c for c in put.json if c["name"] == "mockadmin")
    sub = next(o for o in group["options"] if o["name"] == "prompts")
    assert sub["type"] == 2  # a subcommand group
    commands = {o["name"]: o for o in sub["options"]}
    assert set(commands) == {"import", "export", "list", "remove", "disable", "enable"}
    (file_option,) = commands["import"]["options"]
    # ATTACHMENT; optional: without a file the paste form opens, as on the text faces
    assert file_option["type"] == 11 and file_option["required"] is False
    assert "512 KB" in commands["import"]["description"]
    await settle(client)


async def test_import_a_good_pack_from_an_attachment_then_export_it(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    text = coding_pack()
    aid = fake.attach("guild.yaml", text.encode(), "application/x-yaml")
    reply = await prompts(fake, "owner", "import", {"file": aid})
    assert "Pack “guild” (Guild pack) imported" in text_of(reply), text_of(reply)
    assert fake.cdn_requests == [f"/attachments/{aid}/guild.yaml"]  # fetched through discord.py
    assert await stored(app, fake) == ["guild"]

    exported = await prompts(fake, "owner", "export")
    assert exported["flags"] & 64  # ephemeral
    assert yaml.safe_load(exported["_files"]["guild.yaml"]) == yaml.safe_load(text)

    example = await prompts(fake, "owner", "export", {"what": "system design"})
    data = yaml.safe_load(example["_files"]["system-design-example.yaml"])
    assert data["pack"]["id"] == "my-system-design" and data["prompts"]

    listing = await prompts(fake, "owner", "list")
    assert "guild" in text_of(listing) and "2 prompts" in text_of(listing)
    await settle(client)


async def test_a_bad_pack_is_refused_whole_with_places_and_a_member_is_refused(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    bad = (EXAMPLES / "bad-pack.yaml").read_bytes()
    reply = await prompts(fake, "owner", "import", {"file": fake.attach("bad-pack.yaml", bad)})
    text = text_of(reply)
    assert "8 problems; nothing of the pack was applied" in text
    assert "line 93, prompts[2].id: prompt id 'bp-slow-login' is already used by prompts[1]" in text
    assert await stored(app, fake) == []

    # Many problems: the reply is capped and the whole list comes as a file.
    example = (await prompts(fake, "owner", "export", {"what": "coding"}))["_files"][
        "coding-example.yaml"
    ]
    many = await prompts(fake, "owner", "import", {"file": fake.attach("coding.yaml", example)})
    assert "already used by the bundled bank" in text_of(many)
    listing = many["_files"]["pack-problems.txt"].decode().splitlines()
    assert len(listing) > 12 and all("already used by the bundled bank" in line for line in listing)

    # A member without Manage Server who still sends the interaction: refused, nothing fetched.
    before = list(fake.cdn_requests)
    refused = await prompts(
        fake, "alice", "import", {"file": fake.attach("guild.yaml", coding_pack().encode())}
    )
    assert "Only community admins" in text_of(refused)
    assert fake.cdn_requests == before and await stored(app, fake) == []
    assert "Only community admins" in text_of(await prompts(fake, "alice", "list"))
    await settle(client)


async def test_an_oversized_file_is_refused_before_download_and_types_switch_off(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    huge = b"# padding\n" * (MAX_PACK_BYTES // 10 + 1)
    reply = await prompts(fake, "owner", "import", {"file": fake.attach("huge.yaml", huge)})
    assert "at most 512 KB" in text_of(reply) and fake.cdn_requests == []

    wrong = await prompts(fake, "owner", "import", {"file": fake.attach("pack.json", b"{}")})
    assert ".yaml, .yml or .toml" in text_of(wrong)

    off = await prompts(fake, "owner", "disable", {"types": "behavioral"})
    assert "switched off for: Behavioral" in text_of(off), text_of(off)
    async with app.db.uow() as tx:
        community = await tx.communities.get(await community_id(app, fake))
    assert community is not None and community.settings.disabled_types == ("behavioral",)
    on = await prompts(fake, "owner", "enable", {"types": "behavioral"})
    assert "on again for: Behavioral" in text_of(on)
    await settle(client)
