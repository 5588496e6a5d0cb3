"""A digest's picture reaches Slack: drawn as the digest is delivered, uploaded with
``files_upload_v2`` beside the DM, with its alt text, through slack_sdk to the fake Web API."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.models import Platform
from bot.core.services.actor import Actor
from bot.core.vocab import InterviewType, Level
from tests.core.test_digest_pictures import PNG, give_scores, outbox_messages
from tests.listeners.test_slack import ALICE, BOB, Rig, rig

__all__ = ["rig"]
#: Monday 7 December 2026, 09:00 in Berlin: the digests of the week after the tests' T0.
DUE = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


async def slack_member(app: App, user: str) -> Actor:
    actor = await app.actors.resolve(Platform.SLACK, "T1", "acme", user, "")
    await app.profiles.set_profile(
        actor,
        timezone="Europe/Berlin",
        track="backend",
        level=Level.MID,
        interview_types=(InterviewType.CODING,),
    )
    return actor


async def test_the_month_picture_arrives_with_the_slack_digest(rig: Rig, clock: FakeClock) -> None:
    app = rig.app
    alice, bob = await slack_member(app, ALICE), await slack_member(app, BOB)
    await give_scores(app, alice, bob, DUE)
    clock.set(DUE)
    await app.steps.run_due()
    assert all(not m.get("attachments") for m in (await outbox_messages(app)).values())
    await app.tick()
    posts = {p["channel"]: p for p in rig.fake.of("chat.postMessage")}
    assert "Your PeerLoop week" in posts[f"D{ALICE}"]["text"] and f"D{BOB}" in posts
    (upload,) = rig.fake.of("upload")
    assert upload["data"].startswith(PNG)
    (completed,) = rig.fake.of("files.completeUploadExternal")
    assert (
        completed["channel_id"] == f"D{ALICE}"
    )  # only Alice's month changed: only she gets a picture
    assert [f["id"] for f in completed["files"]] == [upload["file_id"]]
    (asked,) = rig.fake.of("files.getUploadURLExternal")
    assert asked["filename"] == "peerloop-month.png" and "a month ago" in asked["alt_txt"]
