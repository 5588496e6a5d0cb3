"""Community administration through the core service (the server-side check behind every face)."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.core.errors import PermissionDenied
from bot.core.messages import Tone
from bot.core.models import Platform
from tests.conftest import ready_member


async def test_only_admins_pause_and_a_paused_community_takes_no_requests(app: App) -> None:
    assert app.admin is not None
    member = await ready_member(app, "alice")
    member_without_right = type(member)(member.community, member.member, platform_admin=False)
    with pytest.raises(PermissionDenied):
        await app.admin.set_paused(member_without_right, True)
    admin = await app.actors.resolve(Platform.CONSOLE, "local", "Local", "alice", "Alice", platform_admin=True)
    await app.admin.set_paused(admin, True)
    paused_actor = await ready_member(app, "alice")
    reply = await app.router.run(paused_actor, "schedule", {"type": "coding"})
    assert reply.tone is Tone.ERROR and "paused" in reply.text
    await app.admin.set_paused(admin, False)
    running_actor = await ready_member(app, "alice")
    assert (await app.router.run(running_actor, "schedule", {"type": "coding"})).tone is Tone.SUCCESS


async def test_direct_message_resolution_finds_the_member_in_each_known_community(app: App) -> None:
    await app.actors.resolve(Platform.DISCORD, "guild-1", "One", "u42", "Sam")
    await app.actors.resolve(Platform.DISCORD, "guild-2", "Two", "u42", "Sam")
    await app.actors.resolve(Platform.SLACK, "T1", "Team", "u42", "Sam")
    found = await app.actors.resolve_direct(Platform.DISCORD, "u42")
    assert sorted(a.community.external_id for a in found) == ["guild-1", "guild-2"]
    assert await app.actors.resolve_direct(Platform.DISCORD, "nobody") == []
