"""The terminal face: the same commands as the chat faces, as a member you pick, on a
simulated clock you can move. Reads a person at a keyboard or a script on standard input.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.messages import OutboundMessage, Tone, replace_time_tokens
from bot.core.models import Platform
from bot.core.services.actor import Actor

COMMUNITY_ID = "local"
COMMUNITY_NAME = "Local community"
_TONE_MARK = {Tone.INFO: "•", Tone.SUCCESS: "✓", Tone.WARNING: "!", Tone.ERROR: "✗"}

CONSOLE_HELP = """Console commands:
  /as NAME                 act as member NAME (created on first use)
  /mock SUBCOMMAND ...     the member commands, e.g. /mock profile timezone:Europe/Berlin level:senior
  /press N                 press button N of the last reply
  /clock                   show the simulated time; /clock +2h, /clock +1d, /clock 2026-12-01 18:00 (UTC)
  /help                    this text;  /quit  leave"""


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


def render_text(message: OutboundMessage, zone: ZoneInfo, now: datetime) -> str:
    """Plain text for the terminal: times in ``zone``, buttons as numbered choices."""

    def times(text: str) -> str:
        text = replace_time_tokens(text, lambda unix, style: format_time(unix, style, zone, now))
        return text.replace("**", "")

    lines: list[str] = []
    mark = _TONE_MARK[message.tone]
    if message.title:
        lines.append(f"{mark} {times(message.title)}")
    for line in times(message.text).splitlines():
        lines.append(f"  {line}" if message.title else f"{mark} {line}")
    for item in message.fields:
        value = times(item.value).replace("\n", "\n      ")
        lines.append(f"    {item.name}: {value}")
    for i, button in enumerate(message.buttons, 1):
        lines.append(f"    [{i}] {button.label}")
    for select in message.selects:
        choices = ", ".join(o.label for o in select.options)
        lines.append(f"    ({select.placeholder}: {choices})")
    for attachment in message.attachments:
        lines.append(f"    📎 {attachment.filename} ({len(attachment.data)} bytes)")
    return "\n".join(lines)


class Console:
    def __init__(
        self,
        app: App,
        clock: FakeClock,
        out: TextIO = sys.stdout,
        *,
        echo: bool = False,
        on_clock_moved: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.app = app
        self.clock = clock
        self.out = out
        self.echo = echo
        self.actor: Actor | None = None
        self.last: OutboundMessage | None = None
        self.on_clock_moved = on_clock_moved

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def zone(self) -> ZoneInfo:
        if self.actor and self.actor.member.timezone:
            return ZoneInfo(self.actor.member.timezone)
        return ZoneInfo("UTC")

    def show(self, message: OutboundMessage) -> None:
        self.last = message
        self.say(render_text(message, self.zone(), self.clock.now()))

    async def become(self, name: str) -> None:
        name = name.strip()
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]{0,31}", name):
            self.say("✗ A member name is one word of letters, digits, . _ or - (e.g. /as alice).")
            return
        self.actor = await self.app.actors.resolve(
            Platform.CONSOLE, COMMUNITY_ID, COMMUNITY_NAME, name.lower(), name, platform_admin=True
        )
        self.say(f"• You are now {self.actor.member.display_name}.")

    async def refresh_actor(self) -> None:
        if self.actor is not None:
            m = self.actor.member
            self.actor = await self.app.actors.resolve(
                Platform.CONSOLE, COMMUNITY_ID, COMMUNITY_NAME, m.external_id, m.display_name, platform_admin=True
            )

    async def handle(self, line: str) -> bool:
        """Handle one line; returns False when the console should stop."""
        line = line.strip()
        if not line:
            return True
        if line.startswith("#"):
            if self.echo:
                self.say(f"\n{line}")
            return True
        if self.echo:
            self.say(f"\n{self.prompt()}{line}")
        word, _, rest = line.partition(" ")
        word = word.lower()
        if word in ("/quit", "/exit"):
            return False
        if word == "/help":
            self.say(CONSOLE_HELP)
        elif word == "/as":
            await self.become(rest)
        elif word == "/clock":
            await self.move_clock(rest.strip())
        elif word == "/press":
            await self.press(rest.strip())
        elif word == "/mock":
            if self.actor is None:
                self.say("✗ Pick a member first: /as NAME")
                return True
            await self.refresh_actor()
            assert self.actor is not None
            self.show(await self.app.router.run_text(self.actor, rest))
            await self.refresh_actor()
        else:
            self.say(f"✗ “{word}” is not a console command. Type /help.")
        return True

    def prompt(self) -> str:
        who = self.actor.member.display_name if self.actor else "nobody"
        return f"[{self.clock.now():%Y-%m-%d %H:%M} UTC] {who}> "

    async def press(self, arg: str) -> None:
        if self.actor is None or self.last is None or not self.last.buttons:
            self.say("✗ There is no button to press.")
            return
        try:
            index = int(arg) - 1
            button = self.last.buttons[index]
            if index < 0:
                raise IndexError
        except (ValueError, IndexError):
            self.say(f"✗ Press a button by number, 1 to {len(self.last.buttons)}.")
            return
        self.show(await self.app.router.act(self.actor, button.action))

    async def move_clock(self, arg: str) -> None:
        if arg:
            match = re.fullmatch(r"\+(\d+)\s*([mhd])", arg)
            if match:
                n, unit = int(match.group(1)), match.group(2)
                self.clock.advance(timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: n}))
            else:
                try:
                    when = datetime.fromisoformat(arg.replace(" ", "T"))
                except ValueError:
                    self.say("✗ Move the clock with +30m, +2h, +1d or a UTC time like 2026-12-01 18:00.")
                    return
                when = when if when.tzinfo else when.replace(tzinfo=UTC)
                if when < self.clock.now():
                    self.say("✗ The clock only moves forward.")
                    return
                self.clock.set(when)
            if self.on_clock_moved is not None:
                await self.on_clock_moved()
        self.say(f"• Clock: {self.clock.now():%a %d %b %Y %H:%M} UTC")

    async def run(self, stream: TextIO) -> None:
        interactive = stream.isatty()
        if interactive:
            self.say("PeerLoop console. Type /help for the commands, /as NAME to begin.")
        while True:
            if interactive:
                print(self.prompt(), end="", file=self.out, flush=True)
            line = await asyncio.to_thread(stream.readline)
            if not line:
                break
            if not await self.handle(line):
                break
