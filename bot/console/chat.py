"""The console's ChatPort and its plain-text rendering: messages nobody asked for are printed,
addressed, with times in the reader's zone; attachments are saved to a folder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.mentions import plain_mentions
from bot.core.messages import Attachment, OutboundMessage, Tone, replace_time_tokens
from bot.core.models import Community, Member, Platform
from bot.core.ports import DirectMessagesClosed
from bot.core.ports.room import WithoutVoice

_TONE_MARK = {Tone.INFO: "•", Tone.SUCCESS: "✓", Tone.WARNING: "!", Tone.ERROR: "✗"}


def format_time(unix: int, style: str, zone: ZoneInfo, now: datetime) -> str:
    when = datetime.fromtimestamp(unix, UTC).astimezone(zone)
    if style == "R":
        return _relative(when - now)
    formats = {
        "F": "%a %d %b %Y %H:%M %Z",
        "f": "%d %b %Y %H:%M %Z",
        "D": "%d %b %Y",
        "d": "%Y-%m-%d",
        "T": "%H:%M:%S",
        "t": "%H:%M",
    }
    return when.strftime(formats.get(style, formats["F"]))


def _relative(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    future = seconds >= 0
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            text = f"{n} {unit}{'s' if n != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return "now"


def zone_times(zone: ZoneInfo, now: datetime) -> Callable[[str], str]:
    """Shows a text's time tokens in ``zone`` (and drops bold markers, which a terminal can't show)."""

    def times(text: str) -> str:
        text = replace_time_tokens(text, lambda unix, style: format_time(unix, style, zone, now))
        return plain_mentions(text).replace("**", "")

    return times


def render_text(
    message: OutboundMessage, zone: ZoneInfo, now: datetime, saved: Mapping[str, Path] | None = None
) -> str:
    """Plain text for the terminal: times in ``zone``, buttons as numbered choices, and where
    each attachment was saved (``saved``: file name -> path)."""
    times = zone_times(zone, now)

    lines: list[str] = []
    mark = _TONE_MARK[message.tone]
    if message.title:
        lines.append(f"{mark} {times(message.title)}")
    for line in times(message.text).splitlines():
        lines.append(f"  {line}" if message.title else f"{mark} {line}")
    for item in message.fields:
        value = times(item.value)
        if "\n" in value or value.startswith(
            "- "
        ):  # a list: the name on its own line, the items under it
            lines.append(f"    {times(item.name)}:")
            lines.extend(f"      {line}" for line in value.splitlines())
        else:
            lines.append(f"    {times(item.name)}: {value}")
    for i, button in enumerate(message.buttons, 1):
        lines.append(f"    [{i}] {button.label}")
    for select in message.selects:
        choices = ", ".join(o.label for o in select.options)
        lines.append(f"    ({select.placeholder}: {choices})")
    for attachment in message.attachments:
        where = (saved or {}).get(attachment.filename)
        lines.append(
            f"    📎 {attachment.filename} ({len(attachment.data)} bytes)"
            + (f", saved to {where}" if where else "")
        )
    return "\n".join(lines)


def save_attachments(attachments: Sequence[Attachment], folder: Path | None) -> dict[str, Path]:
    """Write each attachment into ``folder`` (created when needed) under a name not yet taken;
    returns file name -> path. ``folder`` None: nothing is written."""
    if folder is None or not attachments:
        return {}
    folder.mkdir(parents=True, exist_ok=True)
    saved: dict[str, Path] = {}
    for attachment in attachments:
        name = Path(attachment.filename).name or "attachment"
        path, stem, suffix, n = folder / name, Path(name).stem, Path(name).suffix, 1
        while path.exists():
            n += 1
            path = folder / f"{stem}-{n}{suffix}"
        path.write_bytes(attachment.data)
        saved[attachment.filename] = path
    return saved


def _room_number(ref: str | None) -> int:
    match = re.fullmatch(r"room-(\d+)", ref or "")
    return int(match.group(1)) if match else 0


async def rooms_in_use(app: App) -> int:
    """The highest ``room-N`` the database already knows (sessions and queued posts)."""
    from sqlalchemy import select
    from sqlmodel import col

    from bot.storage.tables import OutboxRow, SessionRow

    highest = 0
    async with app.db.sessions() as db:
        for column in (col(SessionRow.space_ref), col(OutboxRow.space_ref)):
            refs = await db.execute(select(column).where(column.like("room-%")).distinct())
            highest = max([highest, *(_room_number(ref) for ref in refs.scalars())])
    return highest


class ConsoleChat(WithoutVoice):
    """The console's ChatPort: messages nobody asked for are printed, addressed."""

    platform = Platform.CONSOLE

    def __init__(
        self, out: TextIO, clock: FakeClock, *, attachments_dir: Path | None = None
    ) -> None:
        self.out = out
        self.clock = clock
        #: Where attachments (calendar invites, charts) are saved; None: not saved.
        self.attachments_dir = attachments_dir
        self.rooms: dict[str, tuple[str, str]] = {}
        #: Rooms are numbered on from the highest the database knows (see :func:`rooms_in_use`),
        #: so a room opened after a restart never takes an earlier session's label.
        self.rooms_before = 0
        self.closed_dms: set[str] = set()
        self.sent: list[tuple[str, OutboundMessage]] = []
        #: The last message each member or room got (so /press can act on it).
        self.last: dict[str, OutboundMessage] = {}

    def _print(self, header: str, message: OutboundMessage, zone: ZoneInfo) -> None:
        saved = save_attachments(message.attachments, self.attachments_dir)
        body = render_text(message, zone, self.clock.now(), saved)
        print(
            f"  {header}\n" + "\n".join(f"  │ {line}" for line in body.splitlines()),
            file=self.out,
            flush=True,
        )

    async def send_direct(self, member: Member, message: OutboundMessage) -> str:
        if member.external_id in self.closed_dms:
            raise DirectMessagesClosed(member.display_name)
        self.sent.append((f"dm:{member.external_id}", message))
        self.last[member.external_id] = message
        self._print(f"📨 to {member.display_name} (direct message)", message, _zone(member))
        return f"dm-{len(self.sent)}"

    async def open_pair_space(
        self, community: Community, members: Sequence[Member], title: str
    ) -> str:
        ref = f"room-{self.rooms_before + len(self.rooms) + 1}"
        zone = _zone(members[0])
        self.rooms[ref] = (title, members[0].timezone or "UTC")
        names = " and ".join(m.display_name for m in members)
        print(f"  🚪 opened private room {ref} “{title}” for {names}", file=self.out, flush=True)
        del zone
        return ref

    async def post(self, community: Community, space_ref: str, message: OutboundMessage) -> str:
        title, zone = self.rooms.get(space_ref, (space_ref, "UTC"))
        self.sent.append((space_ref, message))
        self.last[space_ref] = message
        self._print(f"💬 in {space_ref} ({title})", message, ZoneInfo(zone))
        return f"{space_ref}-{len(self.sent)}"

    async def edit(self, community: Community, message_ref: str, message: OutboundMessage) -> None:
        """A message sent earlier now reads differently (its buttons gone or changed)."""
        number = re.fullmatch(r"(?:.*-)?(\d+)", message_ref)
        if number is None or not 0 < int(number.group(1)) <= len(self.sent):
            return
        where, before = self.sent[int(number.group(1)) - 1]
        who = where.removeprefix("dm:")
        if self.last.get(who) is before:
            self.last[who] = message
        print(f"  ✎ a message to {who} now reads:", file=self.out, flush=True)
        self._print("", message, ZoneInfo("UTC"))


def _zone(member: Member) -> ZoneInfo:
    return ZoneInfo(member.timezone or "UTC")
