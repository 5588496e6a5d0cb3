"""/mock export and /mock forget-me on the Slack face: bolt and slack_sdk against the fake Slack."""

from __future__ import annotations

import json

from tests.listeners.test_slack import (
    ALICE,
    BOB,
    Rig,
    community_id,
    ready,
    reply_text,
    responses,
    rig,
)

__all__ = ["rig"]


def buttons_of(message: dict) -> list[dict]:
    return [e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


async def click(rig: Rig, user: str, action_id: str) -> dict:
    status, _, key = await rig.send.click(user, action_id, "CGENERAL")
    assert status == 200
    await rig.fake.wait_for(lambda: len(responses(rig.fake, key)) == 1)
    answer = responses(rig.fake, key)[0]
    assert answer["response_type"] == "ephemeral"
    return answer


async def test_export_is_uploaded_to_the_members_direct_messages(rig: Rig) -> None:
    await ready(rig, ALICE)
    answer = await reply_text(rig, ALICE, "export")
    assert answer["response_type"] == "ephemeral" and "Your PeerLoop data" in json.dumps(answer)
    await rig.fake.wait_for(lambda: rig.fake.count("files.completeUploadExternal") == 1)
    [requested] = rig.fake.of("files.getUploadURLExternal")
    assert requested["filename"].startswith("peerloop-export-") and requested["filename"].endswith(
        ".json"
    )
    [upload] = rig.fake.of("upload")
    doc = json.loads(upload["data"])
    assert doc["schema_version"] == 2
    assert (
        doc["profile"]["platform_user_id"] == ALICE
        and doc["profile"]["timezone"] == "Europe/Berlin"
    )
    # The file goes to Alice's direct messages with the app, nowhere else.
    [done] = rig.fake.of("files.completeUploadExternal")
    assert str(done["channel_id"]) == f"D{ALICE}"


async def test_forget_me_confirm_flow(rig: Rig) -> None:
    await ready(rig, ALICE)
    await ready(rig, BOB)
    ask = await reply_text(rig, ALICE, "forget-me")
    assert ask["response_type"] == "ephemeral"
    delete, keep = buttons_of(ask)
    assert (delete["text"]["text"], delete.get("style")) == ("Delete my data", "danger")
    assert keep["text"]["text"] == "Keep my data" and keep.get("style") != "danger"

    assert "someone else" in json.dumps(await click(rig, BOB, delete["action_id"]))
    assert "Nothing was deleted" in json.dumps(await click(rig, ALICE, keep["action_id"]))
    cid = await community_id(rig.app)
    async with rig.app.db.uow() as tx:
        assert await tx.members.find(cid, ALICE) is not None

    assert "Your data is deleted" in json.dumps(await click(rig, ALICE, delete["action_id"]))
    assert "already been deleted" in json.dumps(await click(rig, ALICE, delete["action_id"]))
    async with rig.app.db.uow() as tx:
        assert await tx.members.find(cid, ALICE) is None
        bob = await tx.members.find(cid, BOB)
        assert bob is not None and bob.timezone == "Europe/Berlin"
