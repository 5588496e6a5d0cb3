"""The words both availability readers share: day names, and a time of day as members write it
(``18``, ``18:30``, ``7pm``, ``noon``, ``midnight``). :mod:`.weekly_text` reads weeks with them,
:mod:`.moments` one moment."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.errors import InvalidInput
from bot.core.messages import quote

#: Day words -> weekday (0 = Monday).
DAY_WORDS: dict[str, int] = {
    "mon": 0, "monday": 0, "mo": 0,
    "tue": 1, "tues": 1, "tuesday": 1, "tu": 1,
    "wed": 2, "weds": 2, "wednesday": 2, "we": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "th": 3,
    "fri": 4, "friday": 4, "fr": 4,
    "sat": 5, "saturday": 5, "sa": 5,
    "sun": 6, "sunday": 6, "su": 6,
}  # fmt: skip
#: A time of day as a pattern (used inside larger patterns).
TIME = r"(?:\d+(?:[:.]\d+)?(?:\s*[ap]\.?m\.?)?|noon|midday|midnight)"
_TIME_PARTS = re.compile(r"(?P<h>\d+)(?:[:.](?P<m>\d+))?\s*(?:(?P<ap>[ap])\.?m\.?)?")


@dataclass(frozen=True)
class Clock:
    """A time of day as written: hours and minutes, am/pm if given, or the word (noon, midnight)."""

    raw: str
    hour: int
    minute: int
    ap: str | None  # "a", "p" or None
    word: str | None  # "noon", "midnight" or None


def read_clock(raw: str, piece: str, bad: Callable[[str], InvalidInput]) -> Clock:
    """Read one time of day ``raw`` (found in ``piece``); a refusal is ``bad(problem)``."""
    raw = raw.strip()
    if raw in ("noon", "midday"):
        return Clock(raw, 12, 0, None, "noon")
    if raw == "midnight":
        return Clock(raw, 0, 0, None, "midnight")
    m = _TIME_PARTS.fullmatch(raw)
    if m is None:  # pragma: no cover - the range pattern only lets times through
        raise bad(f"“{quote(raw)}” in “{quote(piece)}” is not a time.")
    hours, minutes, ap = m.group("h"), m.group("m"), m.group("ap")
    if len(hours) > 2:
        raise bad(
            f"“{quote(raw)}” in “{quote(piece)}” is not a time; write hours and minutes as 18:30."
        )
    if minutes is not None and len(minutes) != 2:
        raise bad(
            f"“{quote(raw)}” in “{quote(piece)}” is not a time; minutes take two digits, as in 18:05."
        )
    hour, minute = int(hours), int(minutes or 0)
    if minute > 59:
        raise bad(f"“{quote(raw)}” in “{quote(piece)}” is not a time: minutes go up to 59.")
    if ap is not None and not 1 <= hour <= 12:
        raise bad(
            f"“{quote(raw)}” in “{quote(piece)}” is not a time: with am/pm the hour runs from 1 to 12."
        )
    if hour > 24 or (hour == 24 and minute):
        raise bad(f"“{quote(raw)}” in “{quote(piece)}” is not a time: hours go up to 24:00.")
    return Clock(raw, hour, minute, ap, None)


def clock_value(c: Clock, ap: str | None) -> int:
    """Minutes from midnight of ``c`` read with ``ap`` ("a", "p" or None for 24-hour)."""
    if c.word == "noon":
        return 720
    if c.word == "midnight":
        return 0
    if ap is None:
        return c.hour * 60 + c.minute
    return (c.hour % 12) * 60 + c.minute + (720 if ap == "p" else 0)
