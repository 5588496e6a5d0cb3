"""``/mock admin prompts …`` through bolt and slack_sdk against the fake Slack Web API: the
import modal's file input (acknowledged first; the file fetched with the bot token after
``files.info``, the result a private follow-up), the workspace-admin check when opening and
when submitting, export uploads."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import yaml

from bot.core.services.packs import MAX_PACK_BYTES
from bot.listeners.slack_packs import BLOCK, UPLOAD_VIEW
from tests.core.test_packs import coding_pack
from tests.listeners.test_slack import ALICE, BOB, Rig, blob, community_id, reply_text, rig
from tests.listeners.test_slack_boundary import ANSWER_WITHIN

__all__ = ["rig"]

EXAMPLES = Path(__file__).parents[2] / "bot" / "prompts" / "examples"


async def stored(rig: Rig) -> list[str]:
    async with rig.app.db.uow() as tx:
        return [p.name for p in await tx.packs.list(await community_id(rig.app))]


async def open_modal(rig: Rig, user: str) -> dict[str, Any]:
    before = rig.fake.count("views.open")
    status, _, _ = await rig.send.command(user, "admin prompts import")
    assert status == 200
    await rig.fake.wait_for(lambda: rig.fake.count("views.open") == before + 1)
    view: dict[str, Any] = rig.fake.of("views.open")[-1]["view"]
    return view


def with_file(entry: dict[str, Any]) -> dict[str, Any]:
    return {BLOCK: {BLOCK: {"type": "file_input", "files": [entry]}}}


async def submit(
    rig: Rig, user: str, view: dict[str, Any], entry: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    status, text = await rig.send.submit(user, view, with_file(entry))
    return status, (json.loads(text) if text else {})


def ephemerals(rig: Rig) -> list[dict[str, Any]]:
    return rig.fake.of("chat.postEphemeral")


async def follow_up(rig: Rig, before: int) -> str:
    """The one private message that answers a submission (in the channel it was opened from)."""
    await rig.fake.wait_for(lambda: len(ephemerals(rig)) == before + 1)
    return blob(ephemerals(rig)[-1])


async def test_import_opens_a_file_modal_and_stores_a_good_pack(rig: Rig) -> None:
    rig.fake.admins.add(ALICE)
    view = await open_modal(rig, ALICE)
    assert view["callback_id"] == UPLOAD_VIEW
    element = next(b for b in view["blocks"] if b["type"] == "input")["element"]
    assert element["type"] == "file_input" and element["max_files"] == 1
    assert "512 KB" in blob(view)
    assert not rig.fake.invalid

    text = coding_pack()
    before = len(ephemerals(rig))
    status, answer = await submit(
        rig, ALICE, view, rig.fake.share_file("guild.yaml", text.encode())
    )
    assert status == 200 and answer == {}, answer  # the modal closes
    assert "(Guild pack) imported" in await follow_up(rig, before)
    (download,) = rig.fake.downloads  # fetched with the bot token
    assert download[1] == "xoxb-test" and download[0].endswith("/guild.yaml")
    assert await stored(rig) == ["guild"]

    listing = await reply_text(rig, ALICE, "admin prompts list")
    assert "guild" in blob(listing) and "2 prompts" in blob(listing)

    # export: the pack as a YAML file, uploaded with files_upload_v2
    await reply_text(rig, ALICE, "admin prompts export")
    await rig.fake.wait_for(lambda: rig.fake.count("files.completeUploadExternal") == 1)
    (upload,) = rig.fake.of("upload")
    assert yaml.safe_load(upload["data"]) == yaml.safe_load(text)


async def test_the_upload_is_acknowledged_before_slack_is_asked_about_the_file(rig: Rig) -> None:
    rig.fake.admins.add(ALICE)
    view = await open_modal(rig, ALICE)
    held = rig.fake.hold("files.info")  # Slack answers files.info only when the test says so
    before = len(ephemerals(rig))
    entry = rig.fake.share_file("guild.yaml", coding_pack().encode())
    status, answer = await asyncio.wait_for(submit(rig, ALICE, view, entry), timeout=ANSWER_WITHIN)
    assert status == 200 and answer == {}  # acknowledged while files.info is still unanswered
    assert rig.fake.downloads == [] and await stored(rig) == []
    held.set()
    assert "(Guild pack) imported" in await follow_up(rig, before)
    assert await stored(rig) == ["guild"]


async def test_a_bad_pack_is_refused_in_a_follow_up_with_places_and_stores_nothing(
    rig: Rig,
) -> None:
    rig.fake.admins.add(ALICE)
    view = await open_modal(rig, ALICE)
    bad = (EXAMPLES / "bad-pack.yaml").read_bytes()
    before = len(ephemerals(rig))
    status, answer = await submit(rig, ALICE, view, rig.fake.share_file("bad-pack.yaml", bad))
    assert status == 200 and answer == {}
    problem = await follow_up(rig, before)
    assert "8 problems; nothing of the pack was applied" in problem
    assert (
        "line 93, prompts[2].id: prompt id 'bp-slow-login' is already used by prompts[1]" in problem
    )
    assert await stored(rig) == []

    # what the file input itself says (its name and size) keeps the modal open; nothing is fetched
    huge = rig.fake.share_file("huge.yaml", b"#" * (MAX_PACK_BYTES + 1))
    downloads = len(rig.fake.downloads)
    status, answer = await submit(rig, ALICE, view, huge)
    assert "at most 512 KB" in answer["errors"][BLOCK] and len(rig.fake.downloads) == downloads

    status, answer = await submit(rig, ALICE, view, rig.fake.share_file("pack.json", b"{}"))
    assert ".yaml, .yml or .toml" in answer["errors"][BLOCK]
    status, answer = await submit(rig, ALICE, view, {})  # no file picked
    assert status == 200 and "Choose a pack file" in json.dumps(answer)

    # a size the file input did not give is checked with files.info, before any download
    sneaky = rig.fake.share_file("sneaky.yaml", b"#" * (MAX_PACK_BYTES + 1))
    before = len(ephemerals(rig))
    status, answer = await submit(rig, ALICE, view, {"id": sneaky["id"], "name": "sneaky.yaml"})
    assert answer == {} and "at most 512 KB" in await follow_up(rig, before)
    assert len(rig.fake.downloads) == downloads and await stored(rig) == []


async def test_non_admins_can_neither_open_nor_submit_the_import(rig: Rig) -> None:
    status, _, key = await rig.send.command(BOB, "admin prompts import")
    assert status == 200
    await rig.fake.wait_for(lambda: any(a["key"] == key for a in rig.fake.of("response_url")))
    assert (
        "Only workspace admins" in blob(rig.fake.of("response_url"))
        and rig.fake.count("views.open") == 0
    )

    # A forged submission of the modal by a non-admin is refused, and nothing is fetched.
    rig.fake.admins.add(ALICE)
    view = await open_modal(rig, ALICE)
    before = len(ephemerals(rig))
    status, answer = await submit(
        rig, BOB, view, rig.fake.share_file("guild.yaml", coding_pack().encode())
    )
    # the modal's metadata is bound to Alice: Bob is answered in his direct messages, not in her channel
    assert answer == {}
    await rig.fake.wait_for(lambda: rig.fake.count("chat.postMessage") == 1)
    refusal = rig.fake.of("chat.postMessage")[0]
    assert refusal["channel"] == BOB and "Only workspace admins" in blob(refusal)
    assert len(ephemerals(rig)) == before
    assert (
        rig.fake.downloads == [] and rig.fake.count("files.info") == 0 and await stored(rig) == []
    )
    refused = await reply_text(rig, BOB, "admin prompts disable coding")
    assert "Only workspace admins" in blob(refused)


async def test_switching_built_in_types_off_and_on(rig: Rig) -> None:
    rig.fake.admins.add(ALICE)
    off = await reply_text(rig, ALICE, "admin prompts disable behavioral, system design")
    assert "switched off for: Behavioral, System design" in blob(off), blob(off)
    async with rig.app.db.uow() as tx:
        community = await tx.communities.get(await community_id(rig.app))
    assert community is not None and set(community.settings.disabled_types) == {
        "behavioral",
        "system-design",
    }
    bad = await reply_text(rig, ALICE, "admin prompts disable astrology")
    assert ":x:" in blob(bad) and "coding" in blob(bad)
    on = await reply_text(rig, ALICE, "admin prompts enable behavioral")
    assert "on again for: Behavioral" in blob(on)
