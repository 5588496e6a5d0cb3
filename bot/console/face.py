"""The terminal face: the same commands as the chat faces, as a member you pick, on a
simulated clock you can move. Reads a person at a keyboard or a script on standard input.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.app import App
from bot.console.chat import ConsoleChat, render_text, rooms_in_use, save_attachments, zone_times
from bot.console.forms import FormFiller
from bot.core.clock import FakeClock
from bot.core.incidents import incident_text, report_incident
from bot.core.messages import OutboundMessage, Tone, quote
from bot.core.models import Platform
from bot.core.services.actor import Actor
from bot.core.surface.commands import text_usage

log = logging.getLogger(__name__)

COMMUNITY_ID = "local"
COMMUNITY_NAME = "Local community"
#: The most one /clock moves the simulated time (every round and reminder on the way runs).
MAX_CLOCK_MOVE = timedelta(days=60)

CONSOLE_HELP = """Console commands:
  /as NAME                 act as member NAME (created on first use)
  /mock SUBCOMMAND ...     the member commands, e.g. /mock profile timezone:Europe/Berlin level:senior
  /press N [room-1|dm]     press button N of the last reply (or of the last message in a room / your DMs)
  /form ID=VALUE ...       answer the open form; /form submit sends it, /form cancel drops it
  /import-pack FILE        as an admin, import a prompt pack (YAML or TOML) from a file; /mock admin prompts list shows packs
  /dms closed NAME         simulate a member whose direct messages are closed (/dms open NAME undoes it)
  /clock                   show the simulated time; /clock +2h, /clock +1d, /clock 2026-12-01 18:00 (UTC)
  /help                    this text;  /quit  leave"""


def _read_file(arg: str) -> bytes | None:
    """The file's bytes, or None when there is no file to read (a name too long, a folder, no access)."""
    try:
        path = Path(arg).expanduser()
        return path.read_bytes() if arg and path.is_file() else None
    except (OSError, ValueError):
        return None


class Console:
    def __init__(
        self,
        app: App,
        clock: FakeClock,
        out: TextIO = sys.stdout,
        *,
        echo: bool = False,
        chat: ConsoleChat | None = None,
    ) -> None:
        self.app = app
        self.clock = clock
        self.out = out
        self.echo = echo
        self.actor: Actor | None = None
        self.last: OutboundMessage | None = None
        self.chat = chat
        #: The form open for answers (``/form``), if any.
        self.filler: FormFiller | None = None
        self._after_comment = False
        #: Where attachments of replies (charts, exports) are written; None: not written.
        self.attachments_dir: Path | None = None

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def zone(self) -> ZoneInfo:
        if self.actor and self.actor.member.timezone:
            return ZoneInfo(self.actor.member.timezone)
        return ZoneInfo("UTC")

    def show(self, message: OutboundMessage) -> None:
        self.last = message
        saved = save_attachments(message.attachments, self.attachments_dir)
        self.say(render_text(message, self.zone(), self.clock.now(), saved))
        if message.form is not None:
            self.filler = FormFiller(message.form, zone_times(self.zone(), self.clock.now()))
            self.say(self.filler.render())

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
                Platform.CONSOLE,
                COMMUNITY_ID,
                COMMUNITY_NAME,
                m.external_id,
                m.display_name,
                platform_admin=True,
            )

    async def handle(self, line: str) -> bool:
        """Handle one line; returns False when the console should stop."""
        line = line.strip()
        if not line:
            return True
        if line.startswith("#"):
            if self.echo:
                self.say(line if self._after_comment else f"\n{line}")
            self._after_comment = True
            return True
        self._after_comment = False
        if self.echo:
            self.say(f"\n{self.prompt()}{line}")
        try:
            return await self._dispatch(line)
        except Exception as exc:  # the console's boundary: one bad line never ends the session
            self.say(f"✗ {incident_text(report_incident(log, exc, 'console'))}")
            return True

    async def _dispatch(self, line: str) -> bool:
        word, _, rest = line.partition(" ")
        word = word.lower()
        if word in ("/quit", "/exit"):
            return False
        if word == "/help":
            self.say(
                CONSOLE_HELP
                + "\n\nPeerLoop commands (options as key:value; [x]: may be given without its key):\n"
                + text_usage()
            )
        elif word == "/as":
            await self.become(rest)
        elif word == "/clock":
            await self.move_clock(rest.strip())
        elif word == "/press":
            await self.press(rest.strip())
        elif word == "/form":
            await self.form(rest.strip())
        elif word == "/dms":
            self.set_dms(rest.strip())
        elif word == "/import-pack":
            await self.import_pack(rest.strip())
        elif word == "/mock":
            if self.actor is None:
                self.say("✗ Pick a member first: /as NAME")
                return True
            await self.refresh_actor()
            assert self.actor is not None
            self.show(await self.app.router.run_text(self.actor, rest))
            await self.app.tick()
            await self.refresh_actor()
        else:
            self.say(f"✗ “{quote(word, 30)}” is not a console command. Type /help.")
        return True

    async def import_pack(self, arg: str) -> None:
        """The console's file upload: the same check and storage as the chat faces' import."""
        if self.actor is None:
            self.say("✗ Pick a member first: /as NAME")
            return
        if self.app.packs is None:
            self.say("✗ Prompt packs are not available with this question bank.")
            return
        data = await asyncio.to_thread(_read_file, arg)
        if data is None:
            self.say(
                f"✗ “{quote(arg)}” is not a file that can be read. Give the path of a pack file "
                "(.yaml, .yml or .toml), e.g. /import-pack bot/prompts/examples/pack.yaml"
            )
            return
        await self.refresh_actor()
        assert self.actor is not None
        self.show(await self.app.packs.import_message(self.actor, data, Path(arg).name))

    def prompt(self) -> str:
        who = self.actor.member.display_name if self.actor else "nobody"
        return f"[{self.clock.now():%Y-%m-%d %H:%M} UTC] {who}> "

    def set_dms(self, arg: str) -> None:
        state, _, name = arg.partition(" ")
        if self.chat is None or state not in ("open", "closed") or not name.strip():
            self.say(
                "✗ Use /dms closed NAME or /dms open NAME (simulates a member who closed their DMs)."
            )
            return
        key = name.strip().lower()
        (self.chat.closed_dms.add if state == "closed" else self.chat.closed_dms.discard)(key)
        self.say(f"• Direct messages to {name.strip()} are now {state}.")

    async def press(self, arg: str) -> None:
        """``/press N`` presses button N of your last reply; ``/press N room-1`` or ``/press N dm``
        presses a button of the last message in that room or in your direct messages."""
        number, _, where = arg.partition(" ")
        source = self.last
        key: str | None = None
        if where.strip() and self.chat is not None and self.actor is not None:
            key = self.actor.member.external_id if where.strip() == "dm" else where.strip()
            source = self.chat.last.get(key)
        if self.actor is None or source is None or not source.buttons:
            self.say("✗ There is no button to press.")
            return
        try:
            index = int(number) - 1
            button = source.buttons[index]
            if index < 0:
                raise IndexError
        except (ValueError, IndexError):
            self.say(f"✗ Press a button by number, 1 to {len(source.buttons)}.")
            return
        reply = await self.app.router.act(self.actor, button.action)
        if reply.carrier is not None:  # what the pressed message says now, and its buttons
            times = zone_times(self.zone(), self.clock.now())
            kept = "".join(f" [{b.label}]" for b in reply.carrier.buttons)
            self.say(
                f"  (that message now reads: {times(reply.carrier.note)}{kept or ' (no buttons left)'})"
            )
            if (
                key is not None and self.chat is not None
            ):  # a room's or DM's message: its buttons change
                self.chat.last[key] = replace(source, buttons=reply.carrier.buttons)
        self.show(reply)
        await self.app.tick()

    async def form(self, arg: str) -> None:
        if self.filler is None or self.actor is None:
            self.say("✗ No form is open. Press a button that opens one first.")
            return
        if arg == "cancel":
            self.filler = None
            self.say("• Form dropped; nothing was sent.")
            return
        submit = arg == "submit" or arg.startswith("submit ")
        problems = self.filler.set(arg[len("submit") :] if submit else arg)
        for problem in problems:
            self.say(f"✗ {problem}")
        if not submit or problems:
            if not arg:
                self.say(self.filler.render())
            return
        filler = self.filler
        reply = await self.app.router.act(self.actor, filler.form.action, filler.submission())
        if reply.tone is not Tone.ERROR:
            self.filler = None
        self.show(reply)
        await self.app.tick()

    async def move_clock(self, arg: str) -> None:
        if arg:
            match = re.fullmatch(r"\+(\d+)\s*([mhd])", arg)
            if match:
                n, unit = int(match.group(1)), match.group(2)
                step = timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: 1})
                target = self.clock.now() + min(n, MAX_CLOCK_MOVE // step + 1) * step  # no overflow
            else:
                try:
                    when = datetime.fromisoformat(arg.replace(" ", "T"))
                except ValueError:
                    self.say(
                        "✗ Move the clock with +30m, +2h, +1d or a UTC time like 2026-12-01 18:00."
                    )
                    return
                target = when if when.tzinfo else when.replace(tzinfo=UTC)
                if target < self.clock.now():
                    self.say("✗ The clock only moves forward.")
                    return
            if target - self.clock.now() > MAX_CLOCK_MOVE:
                self.say(
                    f"✗ The clock moves at most {MAX_CLOCK_MOVE.days} days at a time (every step on the way runs)."
                )
                return
            await self.advance_to(target)
        self.say(f"• Clock: {self.clock.now():%a %d %b %Y %H:%M} UTC")

    async def advance_to(self, target: datetime) -> None:
        """Move the clock step by step, so every scheduled step fires at its own time."""
        while True:
            due = await self.app.next_due()
            if due is None or due > target:
                break
            if due > self.clock.now():
                self.clock.set(due)
            before = self.clock.now()
            await self.app.tick()
            if await self.app.next_due() == due and self.clock.now() == before:
                break  # a step that keeps failing: don't spin
        self.clock.set(target)
        await self.app.tick()
        if self.actor is not None:
            await self.refresh_actor()

    async def run(self, stream: TextIO) -> None:
        if self.chat is not None:
            self.chat.rooms_before = max(self.chat.rooms_before, await rooms_in_use(self.app))
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
