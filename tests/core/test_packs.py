"""Community prompt packs through the real services and database: import, refusals with
places, id collisions, switched-off types, and which prompts a community's sessions use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.errors import Conflict, InvalidInput, PermissionDenied
from bot.core.messages import Tone
from bot.core.models import Platform, Session
from bot.core.services.actor import Actor
from bot.core.services.packs import MAX_PACK_BYTES, SHOWN_PROBLEMS
from bot.core.vocab import InterviewType, Level
from bot.prompts import check_pack, load_bundled
from tests.conftest import make_actor, ready_member
from tests.fakes.fake_chat import FakeChat

EXAMPLES = Path(__file__).parents[2] / "bot" / "prompts" / "examples"


@pytest.fixture
def app(chat_app: App) -> App:
    """These tests run on SQLite with a recording chat (``chat``)."""
    return chat_app


def coding_pack(
    pack_id: str = "guild",
    *,
    prefix: str = "guild",
    count: int = 2,
    disable: tuple[str, ...] = ("coding",),
) -> str:
    """A pack of ``count`` coding prompts (bundled ones under new ids) that may switch
    the built-in coding prompts off."""
    prompts: list[dict[str, Any]] = []
    for prompt in load_bundled().prompts(InterviewType.CODING, level="mid")[:count]:
        data = prompt.model_dump(mode="json", exclude_none=True)
        data["id"] = f"{prefix}-{prompt.id}"[:64].rstrip("-")
        data["title"] = f"Guild: {prompt.title}"[:120]
        data["tracks"] = ["any"]
        prompts.append(data)
    doc = {
        "pack": {"id": pack_id, "name": "Guild pack", "disabled_types": list(disable)},
        "prompts": prompts,
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def pack_ids(text: str) -> set[str]:
    return {p["id"] for p in yaml.safe_load(text)["prompts"]}


async def other_member(app: App, name: str) -> Actor:
    """A ready member of a second community."""

    async def resolve() -> Actor:
        return await app.actors.resolve(
            Platform.CONSOLE, "other", "Other community", name, name.title()
        )

    actor = await resolve()
    await app.profiles.set_profile(
        actor,
        timezone="Europe/Berlin",
        track="backend",
        level=Level.MID,
        interview_types=(InterviewType.CODING,),
    )
    await app.profiles.set_availability(actor, "daily 18:00-20:00")
    return await resolve()


async def book(app: App, a: Actor, b: Actor) -> Session:
    assert (await app.router.run(a, "schedule", {"type": "coding"})).tone is Tone.SUCCESS
    assert (await app.router.run(b, "schedule", {"type": "coding"})).tone is Tone.SUCCESS
    outcome = await app.matching.run_round(a.community.id)
    assert len(outcome.sessions) == 1
    return outcome.sessions[0]


async def stored(app: App, community_id: str) -> list[str]:
    async with app.db.uow() as tx:
        return [p.name for p in await tx.packs.list(community_id)]


async def test_a_good_pack_is_used_by_that_community_only(
    app: App, chat: FakeChat, clock: FakeClock
) -> None:
    assert app.packs is not None
    admin = await make_actor(app, "ada", admin=True)
    text = coding_pack()
    reply = await app.packs.import_message(admin, text.encode(), "guild.yaml")
    assert reply.tone is Tone.SUCCESS, reply.text
    assert "guild" in reply.text and await stored(app, admin.community.id) == ["guild"]

    alice = await ready_member(app, "alice", availability="daily 18:00-20:00")
    bob = await ready_member(app, "bob", availability="daily 18:00-20:00")
    session = await book(app, alice, bob)
    assert set(session.prompt_ids) <= pack_ids(text)  # built-in coding is off: only the pack's
    assert len(session.prompt_ids) == 2

    # The part's statement and guide come from the pack when the session starts.
    while (due := await app.next_due()) is not None and due <= session.start:
        clock.set(max(due, clock.now()))
        await app.tick()
    titles = [m.title or "" for _, m in chat.posts] + [m.title or "" for _, m in chat.direct]
    assert any("Guild:" in t for t in titles), titles

    # Another community keeps the bundled bank.
    carol, dan = await other_member(app, "carol"), await other_member(app, "dan")
    other = await book(app, carol, dan)
    assert not set(other.prompt_ids) & pack_ids(text)
    assert all(load_bundled().find(pid) is not None for pid in other.prompt_ids)


async def test_a_bad_pack_is_refused_whole_with_places_and_nothing_is_stored(app: App) -> None:
    assert app.packs is not None
    admin = await make_actor(app, "ada", admin=True)
    text = (EXAMPLES / "bad-pack.yaml").read_text()
    result = await app.packs.import_pack(admin, text, "bad-pack.yaml")
    assert result.pack is None
    # The same checker as `peerloop prompts check`, problem for problem, each with its line.
    assert [str(p) for p in result.problems] == [str(e) for e in check_pack(text)]
    assert all(p.where.startswith("line ") for p in result.problems)
    assert await stored(app, admin.community.id) == []

    reply = await app.packs.import_message(admin, text, "bad-pack.yaml")
    assert reply.tone is Tone.ERROR and "nothing of the pack was applied" in reply.text
    assert str(result.problems[0]) in reply.text

    # A pack that is good except for one prompt is refused whole too.
    good = yaml.safe_load(coding_pack(disable=()))
    good["prompts"][1]["guide"]["hints"] = ["only one hint"]
    result = await app.packs.import_pack(admin, yaml.safe_dump(good), "mixed.yaml")
    assert result.pack is None and len(result.problems) == 1
    assert "prompts[1].guide.hints" in result.problems[0].where
    assert await stored(app, admin.community.id) == []


async def test_many_problems_are_capped_and_all_listed_in_an_attachment(app: App) -> None:
    assert app.packs is not None
    admin = await make_actor(app, "ada", admin=True)
    example = app.packs and (await app.packs.export(admin, "coding")).attachments[0].data.decode()
    # The built-in prompts exported as they are: every prompt id clashes with the bundled bank.
    reply = await app.packs.import_message(admin, example, "coding-example.yaml")
    count = len(load_bundled().prompts(InterviewType.CODING))
    assert reply.tone is Tone.ERROR and f"{count} problems" in reply.text
    assert reply.text.count("• ") <= SHOWN_PROBLEMS and len(reply.text) < 2000
    listing = reply.attachments[0].data.decode().splitlines()
    assert reply.attachments[0].filename == "pack-problems.txt" and len(listing) == count
    assert all("already used by the bundled bank" in line for line in listing)


async def test_ids_must_not_collide_with_the_bundled_bank_or_other_packs(app: App) -> None:
    assert app.packs is not None
    admin = await make_actor(app, "ada", admin=True)
    bundled_id = load_bundled().prompts(InterviewType.CODING)[0].id
    clash = yaml.safe_load(coding_pack("clash", prefix="clash", disable=()))
    clash["prompts"][0]["id"] = bundled_id
    result = await app.packs.import_pack(admin, yaml.safe_dump(clash))
    assert result.pack is None
    assert [p.message for p in result.problems] == [
        f"prompt id '{bundled_id}' is already used by the bundled bank; pick a new id"
    ]

    assert (await app.packs.import_pack(admin, coding_pack("guild", disable=()))).pack is not None
    second = await app.packs.import_pack(admin, coding_pack("second", prefix="guild", disable=()))
    assert second.pack is None and all(
        "already used by pack 'guild'" in p.message for p in second.problems
    )
    assert await stored(app, admin.community.id) == ["guild"]

    # The same pack again replaces itself (its ids are not a clash with its old version).
    async with app.db.uow() as tx:
        before = await tx.packs.stamps(admin.community.id)
    again = await app.packs.import_pack(admin, coding_pack("guild", count=3, disable=()))
    assert again.pack is not None and again.replaced is not None and len(again.pack.prompts) == 3
    async with app.db.uow() as tx:
        assert await tx.packs.stamps(admin.community.id) != before
    assert await stored(app, admin.community.id) == ["guild"]


async def test_a_switched_off_type_is_not_chosen(app: App) -> None:
    assert app.packs is not None and app.admin_commands is not None
    admin = await make_actor(app, "ada", admin=True)
    alice = await ready_member(app, "alice", availability="daily 18:00-20:00")
    bob = await ready_member(app, "bob", availability="daily 18:00-20:00")
    reply = await app.admin_commands.run_text(admin, "prompts disable coding")
    assert reply.tone is Tone.SUCCESS and "can no longer ask" in reply.text, reply.text
    async with app.db.uow() as tx:
        community = await tx.communities.get(admin.community.id)
    assert community is not None and community.settings.disabled_types == ("coding",)
    # No coding prompts are left: members cannot ask for coding interviews here.
    with pytest.raises(Conflict, match="switched off"):
        await app.requests.schedule(await make_actor(app, "alice"), InterviewType.CODING)

    # A single prompt is not enough for a type (a swap session asks two): refused whole.
    one = await app.packs.import_pack(admin, coding_pack(count=1, disable=()))
    assert one.pack is None and "too few prompts" in one.problems[0].message
    text = coding_pack(disable=())
    assert (await app.packs.import_pack(admin, text)).pack is not None
    session = await book(app, await make_actor(app, "alice"), await make_actor(app, "bob"))
    assert set(session.prompt_ids) <= pack_ids(text)  # never a built-in coding prompt
    assert {alice.member.id, bob.member.id} == set(session.member_ids)

    assert (await app.admin_commands.run_text(admin, "prompts enable coding")).tone is Tone.SUCCESS
    from bot.core.packs import prompts_for

    assert len(prompts_for(app.prompts, admin.community.id).prompts(InterviewType.CODING)) == (
        len(load_bundled().prompts(InterviewType.CODING)) + 2
    )


async def test_only_admins_and_only_sane_files(app: App) -> None:
    assert app.packs is not None and app.admin_commands is not None
    member = await make_actor(app, "mel")
    with pytest.raises(PermissionDenied):
        await app.packs.import_pack(member, coding_pack())
    assert (await app.admin_commands.run_text(member, "prompts list")).tone is Tone.ERROR
    admin = await make_actor(app, "ada", admin=True)
    with pytest.raises(InvalidInput, match="512 KB"):
        await app.packs.import_pack(admin, b"#" * (MAX_PACK_BYTES + 1))
    with pytest.raises(InvalidInput, match=r"\.yaml, \.yml or \.toml"):
        await app.packs.import_pack(admin, coding_pack(), "pack.json")
    with pytest.raises(InvalidInput, match="UTF-8"):
        await app.packs.import_pack(admin, b"pack:\n  id: \xff\xfe\n")
    # A one-line upload is text, never a path on the server.
    result = await app.packs.import_pack(admin, str(EXAMPLES / "pack.yaml"))
    assert result.pack is None
    assert await stored(app, admin.community.id) == []


async def test_export_list_and_remove(app: App) -> None:
    assert app.packs is not None and app.admin_commands is not None
    admin = await make_actor(app, "ada", admin=True)
    toml_text = (EXAMPLES / "pack.toml").read_text()
    assert (await app.packs.import_pack(admin, toml_text, "pack.toml")).pack is not None
    listing = await app.admin_commands.run_text(admin, "prompts list")
    assert "1 pack(s)" in listing.text and "Ada" in listing.fields[0].value

    exported = await app.admin_commands.run_text(admin, "prompts export")
    (file,) = exported.attachments
    assert file.filename.endswith(".yaml")
    name = yaml.safe_load(file.data)["pack"]["id"]
    # The YAML export imports back as the same pack (a replacement).
    again = await app.packs.import_pack(admin, file.data, file.filename)
    assert again.pack is not None and again.replaced is not None

    wrong = await app.admin_commands.run_text(admin, "prompts export astrology")
    assert wrong.tone is Tone.ERROR and "interview type" in wrong.text

    assert (await app.admin_commands.run_text(admin, f"prompts remove {name}")).tone is Tone.SUCCESS
    assert await stored(app, admin.community.id) == []

    # A pack whose prompt a booked session uses cannot be removed until its feedback closes.
    assert (await app.packs.import_pack(admin, coding_pack())).pack is not None
    alice = await ready_member(app, "alice", availability="daily 18:00-20:00")
    bob = await ready_member(app, "bob", availability="daily 18:00-20:00")
    session = await book(app, alice, bob)
    refused = await app.admin_commands.run_text(admin, "prompts remove guild")
    assert refused.tone is Tone.ERROR and "still uses" in refused.text
    assert await stored(app, admin.community.id) == ["guild"]
    assert (await app.router.act(alice, f"pl:session.cancel:{session.id}")).tone is Tone.SUCCESS
    reply = await app.admin_commands.run_text(admin, "prompts remove guild")
    assert reply.tone is Tone.SUCCESS, reply.text
    assert await stored(app, admin.community.id) == []
    missing = await app.admin_commands.run_text(admin, "prompts remove guild")
    assert missing.tone is Tone.ERROR and "no pack" in missing.text


async def test_text_faces_import_by_pasting_into_the_form(app: App) -> None:
    assert app.packs is not None and app.admin_commands is not None
    admin = await make_actor(app, "ada", admin=True)
    opened = await app.admin_commands.run_text(admin, "/mock admin prompts import")
    assert opened.form is not None and "3,000 characters" in (opened.form.intro or "")
    text = coding_pack(
        count=2, disable=()
    )  # the core accepts up to 512 KB; the form field limits faces
    refused = await app.router.act(admin, opened.form.action, {"pack": "pack: [not, a, table]\n"})
    assert refused.tone is Tone.ERROR and "nothing of the pack was applied" in refused.text
    member = await make_actor(app, "mel")
    assert (await app.router.act(member, opened.form.action, {"pack": text})).tone is Tone.ERROR
    assert await stored(app, admin.community.id) == []
    done = await app.router.act(admin, opened.form.action, {"pack": text})
    assert done.tone is Tone.SUCCESS, done.text
    assert await stored(app, admin.community.id) == ["guild"]


class ThreadRecordingCodec:
    """The real pack codec, noting the thread of every check, bank build and dump."""

    def __init__(self) -> None:
        from bot.prompts.codec import BankPackCodec

        self._codec = BankPackCodec()
        self.threads: list[tuple[str, int]] = []

    def __getattr__(self, name: str) -> Any:
        inner = getattr(self._codec, name)
        if name not in ("check", "combine", "pack_id", "dump", "example"):
            return inner

        def noted(*args: Any) -> Any:
            import threading

            self.threads.append((name, threading.get_ident()))
            return inner(*args)

        return noted


async def test_pack_checks_and_bank_building_run_off_the_event_loop(
    tmp_path: Path, clock: FakeClock
) -> None:
    import threading

    from bot.app import build_app
    from bot.core.packs import CommunityPrompts
    from bot.settings import sqlite_url_for

    codec = ThreadRecordingCodec()
    app = await build_app(
        sqlite_url_for(tmp_path / "packs.sqlite3"), clock=clock, prompts=CommunityPrompts(codec)
    )  # type: ignore[arg-type]
    try:
        assert app.packs is not None and app.admin_commands is not None
        admin = await make_actor(app, "ada", admin=True)
        toml_text = (EXAMPLES / "pack.toml").read_text()
        assert (await app.packs.import_pack(admin, toml_text, "pack.toml")).pack is not None
        assert (await app.packs.import_pack(admin, coding_pack(disable=()))).pack is not None
        await app.admin_commands.run_text(admin, "prompts list")
        await app.admin_commands.run_text(admin, "prompts export")
        await app.admin_commands.run_text(admin, "prompts export coding")
        await app.admin_commands.run_text(admin, "prompts disable behavioral")
        await app.admin_commands.run_text(admin, "prompts enable behavioral")
        await app.admin_commands.run_text(admin, "prompts remove guild")
        app.prompts.invalidate(admin.community.id)  # type: ignore[attr-defined]
        # A request's prompt check loads (parses) the community's bank again.
        await app.requests.schedule(await ready_member(app, "bob"), InterviewType.CODING)
    finally:
        await app.close()
    kinds = {name for name, _ in codec.threads}
    assert kinds == {"check", "combine", "pack_id", "dump", "example"}
    loop_thread = threading.get_ident()
    assert [name for name, thread in codec.threads if thread == loop_thread] == []


async def test_a_refused_pack_is_also_told_which_types_it_would_leave_too_thin(app: App) -> None:
    """Every problem at once: a pack with a schema error that would also leave a type with
    one prompt hears both, not the second only after fixing the first."""
    assert app.packs is not None
    admin = await make_actor(app, "ada", admin=True)
    doc = yaml.safe_load(coding_pack(count=1, disable=("coding",)))
    doc["prompts"][0]["title"] = "x"
    result = await app.packs.import_pack(admin, yaml.safe_dump(doc))
    assert result.pack is None
    messages = [p.message for p in result.problems]
    assert any("at least 3 are needed" in m for m in messages), messages
    assert any("too few prompts would be left of: Coding (1 left)" in m for m in messages), messages
    # Fixed, the one remaining problem is the one already reported.
    doc["prompts"][0]["title"] = "Guild: a fixed title"
    again = await app.packs.import_pack(admin, yaml.safe_dump(doc))
    assert [p.message for p in again.problems] == [m for m in messages if "too few" in m]
