"""Where a session happens: its call link and its work surface, generated once per session.

The call is a Jitsi Meet room by default (no account needed; its name comes from
:mod:`secrets`, so nobody can guess it), or the community's own link (``setup call_link:…``).
The work surface depends on the interview type: a fresh Excalidraw collaboration room for
design types (``setup design_board:…`` replaces it), and for coding types the community's
shared editor (``setup coding_editor:…``), else a plain "use any shared editor". A
community's link may hold ``{room}``, replaced by a fresh unguessable name per session.

Links are stored on the session (never reused by another one) and shown only to the pair.
"""

from __future__ import annotations

import random
import re
import secrets
import string
from dataclasses import dataclass

from bot.core.errors import InvalidInput
from bot.core.messages import quote
from bot.core.vocab import InterviewType

JITSI = "https://meet.jit.si/PeerLoop-{room}"
EXCALIDRAW = "https://excalidraw.com/#room={room},{key}"
#: Interview types drawn on a whiteboard, and those written in a shared editor.
DESIGN_TYPES = frozenset({InterviewType.SYSTEM_DESIGN, InterviewType.ML_SYSTEM_DESIGN})
EDITOR_TYPES = frozenset({InterviewType.CODING, InterviewType.SQL_DATA_MODELLING})
ANY_EDITOR = "use any shared editor you both can open (paste its link here)"
MAX_LINK = 300
#: The words that put a link setting back to its default.
DEFAULT_WORDS = frozenset({"none", "default", "off", "-", "clear", "jitsi", "excalidraw"})
_LINK = re.compile(r"^https://[^\s<>\"'`|]+$")


@dataclass(frozen=True)
class RoomLinks:
    """A session's call link and work-surface link (None: no generated surface)."""

    call: str
    work: str | None


_ALPHABET = string.ascii_letters + string.digits
#: Set only by the scripted demo, so its transcript is the same every run (see :func:`use_repeatable_rooms`).
_repeatable: random.Random | None = None


def use_repeatable_rooms(seed: int | None) -> None:
    """Repeatable room names for the scripted demo; ``None`` (the default) draws from :mod:`secrets`."""
    global _repeatable
    _repeatable = None if seed is None else random.Random(seed)


def _pick(alphabet: str, length: int) -> str:
    source = _repeatable
    if source is not None:
        return "".join(source.choice(alphabet) for _ in range(length))
    return _secret(alphabet, length)


def _secret(alphabet: str, length: int) -> str:
    """``length`` characters drawn uniformly from ``alphabet`` (at most 256 characters) with the
    operating system's randomness, read a few bytes at a time rather than once per character
    (a round books thousands of rooms): a byte at or above the largest multiple of the
    alphabet's size is dropped, so no character is likelier than another."""
    size = len(alphabet)
    limit = 256 - 256 % size
    out: list[str] = []
    while len(out) < length:
        out += [alphabet[b % size] for b in secrets.token_bytes(2 * length) if b < limit]
    return "".join(out[:length])


def _room_name() -> str:
    return _pick(_ALPHABET, 24)


def _fill(template: str) -> str:
    return template.replace("{room}", _room_name())


def excalidraw_link() -> str:
    """A new Excalidraw collaboration room: 20 hex characters and a 22-character key."""
    return EXCALIDRAW.format(room=_pick("0123456789abcdef", 20), key=_pick(_ALPHABET + "-_", 22))


def links_for(
    kind: InterviewType,
    *,
    call_link: str | None,
    coding_editor: str | None,
    design_board: str | None,
) -> RoomLinks:
    """Fresh links for one new session of ``kind`` under a community's settings."""
    call = _fill(call_link or JITSI)
    work: str | None = None
    if kind in DESIGN_TYPES:
        work = _fill(design_board) if design_board else excalidraw_link()
    elif kind in EDITOR_TYPES and coding_editor:
        work = _fill(coding_editor)
    return RoomLinks(call, work)


def work_line(kind: InterviewType, work: str | None) -> str | None:
    """What the pair reads about where to write or draw (None: nothing to say)."""
    if work:
        return work
    if kind in EDITOR_TYPES:
        return ANY_EDITOR
    return None


def room_lines(kind: InterviewType, call: str | None, work: str | None) -> list[str]:
    """``**Call:** …`` and ``**Work surface:** …`` lines for a session's messages."""
    lines = [f"**Call:** {call}"] if call else []
    surface = work_line(kind, work)
    if surface and (call or work):
        lines.append(f"**Work surface:** {surface}")
    return lines


def parse_link(key: str, value: str) -> str | None:
    """A community link setting: an https link (``{room}`` allowed), or a default word (None)."""
    text = value.strip()
    if not text or text.lower() in DEFAULT_WORDS:
        return None
    if len(text) > MAX_LINK or not _LINK.match(text):
        raise InvalidInput(
            key,
            f"“{quote(text, 60)}” is not an https link.",
            accepted="an https:// link (may contain {room}), or default",
        )
    return text
