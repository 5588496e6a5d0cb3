"""One moment as a member writes it in their own zone (``2026-12-01 18:00``, ``tomorrow 7pm``,
``fri 18:00``): :func:`parse_local_datetime`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.availability.words import DAY_WORDS, TIME, clock_value, read_clock
from bot.core.errors import InvalidInput
from bot.core.messages import quote

DATETIME_ACCEPTED = (
    "a date and a time such as “2026-12-01 18:00”, “2026-12-01T18:00” or “2026-12-01 6pm”; "
    "also “today 18:00”, “tomorrow 7pm” or a day name such as “fri 18:00”"
)


_ISO_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_WHEN = re.compile(
    r"(?P<day>\d{4}-\d{2}-\d{2}|today|tomorrow|[a-z]+)(?:\s*t\s*|\s+(?:at\s+)?)(?P<time>.+)"
)


def _bad_when(problem: str) -> InvalidInput:
    return InvalidInput("datetime", problem, accepted=DATETIME_ACCEPTED)


def parse_local_datetime(text: str, tz: ZoneInfo, *, now: datetime | None = None) -> datetime:
    """One moment written in the member's zone, returned as aware UTC.

    Accepts ``2026-12-01 18:00``, ``2026-12-01T18:00`` (an explicit offset such as
    ``+01:00`` is honoured), times as in ``parse_weekly`` (``6pm``, ``noon``) and, when
    ``now`` is given, ``today``, ``tomorrow`` or a day name (the next such day whose time
    is still ahead). A repeated autumn wall time is read as its first occurrence; a wall
    time inside the spring gap is refused. Relative words without ``now`` raise
    ``ValueError`` (a programming error: pass the clock's now).
    """
    raw = text.strip()
    if not raw:
        raise _bad_when("No date and time were given.")
    if len(raw) > 100:
        raise _bad_when("That is too long for a date and time.")
    if _ISO_DATE_ONLY.fullmatch(raw):
        raise _bad_when(f"“{quote(raw)}” has a date but no time.")
    try:
        iso = datetime.fromisoformat(raw)
    except ValueError:
        iso = None
    if iso is not None and iso.tzinfo is not None:
        return iso.astimezone(UTC)
    if iso is not None:
        return _localise(iso, tz, raw)

    m = _WHEN.fullmatch(raw.lower())
    if m is None:
        raise _bad_when(f"Could not read “{quote(raw)}” as a date and a time.")
    day_text, time_text = m.group("day"), m.group("time").strip()
    singular = day_text[:-1] if day_text.endswith("s") else ""
    weekday = DAY_WORDS.get(day_text, DAY_WORDS.get(singular))
    relative = day_text in ("today", "tomorrow") or weekday is not None
    if not relative and not _ISO_DATE_ONLY.fullmatch(day_text):
        raise _bad_when(f"“{quote(day_text)}” in “{quote(raw)}” is not a date or a day.")
    clock = _read_single_time(time_text, raw)
    if _ISO_DATE_ONLY.fullmatch(day_text):
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise _bad_when(f"“{quote(day_text)}” is not a real date.") from None
        return _localise(datetime.combine(day, clock), tz, raw)
    if now is None:
        raise ValueError("parse_local_datetime needs now= for relative dates")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    today = now.astimezone(tz).date()
    if day_text == "today":
        return _localise(datetime.combine(today, clock), tz, raw)
    if day_text == "tomorrow":
        return _localise(datetime.combine(today + timedelta(days=1), clock), tz, raw)
    assert weekday is not None
    day = today + timedelta(days=(weekday - today.weekday()) % 7)
    moment = _localise(datetime.combine(day, clock), tz, raw)
    if moment <= now:
        moment = _localise(datetime.combine(day + timedelta(days=7), clock), tz, raw)
    return moment


def _read_single_time(text: str, raw: str) -> time:
    text = text.strip()
    if not re.fullmatch(TIME, text):
        raise _bad_when(f"Could not read the time “{quote(text)}” in “{quote(raw)}”.")
    c = read_clock(text, raw, _bad_when)
    if c.hour == 24:
        raise _bad_when(
            f"“{quote(text)}” in “{quote(raw)}” is not a time of day; use 00:00 of the next day."
        )
    minutes = clock_value(c, c.ap)
    return time(minutes // 60, minutes % 60)


def _localise(naive: datetime, tz: ZoneInfo, raw: str) -> datetime:
    aware = naive.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None, fold=0)
    if back != naive:
        raise _bad_when(
            f"“{quote(raw)}” does not exist in {tz.key}: the clocks jump forward then. Pick a later time."
        )
    return aware.astimezone(UTC)
