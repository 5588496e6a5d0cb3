"""Weekly availability, blackout dates and time zones, as members write them.

A member writes their week in their own time zone, the way people write it::

    weekdays 18:00-21:00, sat 10-14
    mon,wed 7pm-9pm; sun 09:30-12
    fri 22:00-01:00            (runs past midnight: Fri 22:00-24:00 and Sat 00:00-01:00)

and sees it back in one normal form (``format_weekly``)::

    Mon–Fri 18:00–21:00, Sat 10:00–14:00

Reading rules (``parse_weekly``)
--------------------------------
- Pieces are separated by commas, semicolons, new lines, ``and`` or ``&``.
- A piece is days then one or more time ranges: ``sat 10-12 14-16``.
- Days: ``mon`` .. ``sun`` (also full names, plurals, ``tues``, ``thurs``, two-letter
  ``mo`` .. ``su``), ranges ``mon-thu`` (a range may wrap: ``fri-mon``), and the words
  ``weekdays``, ``weekends``, ``daily``, ``everyday``, ``every day``.
- Times: 24-hour (``18``, ``18:00``, ``18.30``, ``24:00`` as an end), am/pm (``7pm``,
  ``6:30 pm``), ``noon``, ``midnight``, ``all day``. In ``7-9pm`` the bare side takes
  whichever of am/pm gives the shorter window (19:00-21:00; ``11-1pm`` is 11:00-13:00).
- A piece of days without times takes the times of the next piece
  (``mon, wed 7pm-9pm``); a piece of times without days reuses the days before it
  (``sat 10-12, 14-16``). Days with no times anywhere after them are refused, unless the
  whole text has no times at all, which means all day (``weekends``, ``everyday``).
- An end earlier than the start runs past midnight, but only for windows of at most
  12 hours: ``22:00-01:00`` and ``18-06`` are accepted, ``18-17`` (23 hours) is refused as
  ending before it starts. A window of zero length is refused.
- Overlapping and touching windows merge. A stretch of availability (windows that
  continue across midnight count as one) must last at least 30 minutes, and the week
  holds at most 35 separate windows.

Time zones and daylight saving (``candidate_starts``)
-----------------------------------------------------
Each window is read on each local date with that date's UTC offset. Where a window edge
falls on a wall time that does not exist (the spring gap), the edge moves to the moment
the clocks jump, so the missing wall times are simply skipped. Where an edge falls in the
repeated hour of autumn, the start is read as the later occurrence and the end as the
earlier one. So every instant that is offered reads, on the member's own clock, as a time
inside one of their windows (a window lying wholly inside the repeated hour may yield
nothing that night).
"""

from __future__ import annotations

import difflib
import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.core.errors import InvalidInput
from bot.core.messages import quote

__all__ = [
    "AVAILABILITY_ACCEPTED",
    "BLACKOUTS_ACCEPTED",
    "DATETIME_ACCEPTED",
    "MAX_BLACKOUT_DAYS",
    "MAX_TEXT_LENGTH",
    "MAX_WINDOWS",
    "MIN_WINDOW_MINUTES",
    "TIMEZONE_ACCEPTED",
    "WeeklyAvailability",
    "Window",
    "candidate_starts",
    "common_timezones",
    "format_blackouts",
    "format_weekly",
    "parse_blackouts",
    "parse_local_datetime",
    "parse_weekly",
    "validate_timezone",
]

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
MIN_WINDOW_MINUTES = 30
MAX_WINDOWS = 35
MAX_TEXT_LENGTH = 500
MAX_BLACKOUT_DAYS = 366
MAX_BLACKOUT_TEXT_LENGTH = 5000
#: A window written with its end before its start runs past midnight only up to this long.
MAX_OVERNIGHT_MINUTES = 12 * 60

AVAILABILITY_ACCEPTED = (
    "days then times, such as “weekdays 18:00-21:00, sat 10-14” or “mon,wed 7pm-9pm; "
    "sun 09:30-12” (days: mon..sun, mon-fri, weekdays, weekends, daily; times: 24-hour "
    "or am/pm, noon, midnight, all day)"
)
BLACKOUTS_ACCEPTED = (
    "dates as YYYY-MM-DD separated by commas, and ranges with “..”, "
    "such as “2026-12-24, 2026-12-27..2026-12-31”"
)
TIMEZONE_ACCEPTED = "an IANA zone name such as Europe/Berlin, America/New_York, Asia/Kolkata, UTC"
DATETIME_ACCEPTED = (
    "a date and a time such as “2026-12-01 18:00”, “2026-12-01T18:00” or “2026-12-01 6pm”; "
    "also “today 18:00”, “tomorrow 7pm” or a day name such as “fri 18:00”"
)

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SECOND = timedelta(seconds=1)


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, order=True)
class Window:
    """One stretch of a weekday: minutes from local midnight, ``start`` < ``end`` <= 1440."""

    weekday: int  # 0 = Monday .. 6 = Sunday
    start: int
    end: int

    def __post_init__(self) -> None:
        for name in ("weekday", "start", "end"):
            value = getattr(self, name)
            if type(value) is not int:
                raise ValueError(f"Window.{name} must be an int, not {value!r}")
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"Window.weekday must be 0..6, not {self.weekday}")
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise ValueError(
                f"Window needs 0 <= start < end <= {MINUTES_PER_DAY}, got {self.start}..{self.end}"
            )

    @property
    def minutes(self) -> int:
        return self.end - self.start

    def __str__(self) -> str:
        return f"{DAY_NAMES[self.weekday]} {_hhmm(self.start)}–{_hhmm(self.end)}"


@dataclass(frozen=True)
class WeeklyAvailability:
    """A member's week in their own time zone: sorted, merged windows.

    Invariants (checked on construction, ``ValueError`` otherwise): windows sorted, no two
    on the same day overlap or touch, at most ``MAX_WINDOWS``, and every stretch (windows
    continuing across midnight, including Sunday into Monday, count as one) lasts at least
    ``MIN_WINDOW_MINUTES``. ``WeeklyAvailability()`` is the empty week ("no times set").
    """

    windows: tuple[Window, ...] = ()
    _by_day: tuple[tuple[tuple[int, int], ...], ...] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        windows = tuple(self.windows)
        object.__setattr__(self, "windows", windows)
        for w in windows:
            if not isinstance(w, Window):
                raise ValueError(f"expected Window, got {w!r}")
        for a, b in pairwise(windows):
            if (a.weekday, a.start) >= (b.weekday, b.start) or (
                a.weekday == b.weekday and a.end >= b.start
            ):
                raise ValueError(f"windows must be sorted and merged: {a} then {b}")
        if len(windows) > MAX_WINDOWS:
            raise ValueError(f"{len(windows)} windows; at most {MAX_WINDOWS}")
        for start, end in _stretches(windows):
            if end - start < MIN_WINDOW_MINUTES:
                raise ValueError(f"a stretch of {end - start} minutes is shorter than allowed")
        by_day: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for w in windows:
            by_day[w.weekday].append((w.start, w.end))
        object.__setattr__(self, "_by_day", tuple(tuple(d) for d in by_day))

    @classmethod
    def from_windows(cls, windows: Iterable[Window | tuple[int, int, int]]) -> WeeklyAvailability:
        """Sort and merge any windows (overlapping or touching ones join)."""
        items = [w if isinstance(w, Window) else Window(*w) for w in windows]
        return cls(_merge(items))

    def __bool__(self) -> bool:
        return bool(self.windows)

    def day(self, weekday: int) -> tuple[tuple[int, int], ...]:
        """The (start, end) minute pairs of one weekday."""
        return self._by_day[weekday]

    def stretches(self) -> list[tuple[int, int]]:
        """Continuous stretches in minutes from Monday 00:00; one may run past 10080 (wraps)."""
        return _stretches(self.windows)

    def to_json(self) -> list[list[int]]:
        """Storage form: ``[[weekday, start, end], ...]`` (JSON-serialisable)."""
        return [[w.weekday, w.start, w.end] for w in self.windows]

    @classmethod
    def from_json(cls, data: object) -> WeeklyAvailability:
        """Read the storage form (the list, or its JSON text); normalises, refuses bad data."""
        try:
            if isinstance(data, str | bytes):
                data = json.loads(data)
            if not isinstance(data, list):
                raise ValueError("expected a list of [weekday, start, end]")
            triples: list[tuple[int, int, int]] = []
            for item in data:
                if not isinstance(item, list | tuple) or len(item) != 3:
                    raise ValueError(f"expected [weekday, start, end], got {item!r}")
                weekday, start, end = item
                triples.append((weekday, start, end))
            return cls.from_windows(triples)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(
                "availability",
                f"Stored availability could not be read ({exc}).",
                accepted="a list of [weekday 0-6, start minute, end minute]",
            ) from exc


def _merge(windows: Iterable[Window]) -> tuple[Window, ...]:
    out: list[Window] = []
    for w in sorted(windows):
        if out and out[-1].weekday == w.weekday and w.start <= out[-1].end:
            if w.end > out[-1].end:
                out[-1] = Window(w.weekday, out[-1].start, w.end)
        else:
            out.append(w)
    return tuple(out)


def _stretches(windows: Sequence[Window]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for w in windows:
        start = w.weekday * MINUTES_PER_DAY + w.start
        end = w.weekday * MINUTES_PER_DAY + w.end
        if spans and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    if len(spans) > 1 and spans[-1][1] == MINUTES_PER_WEEK and spans[0][0] == 0:
        last = spans.pop()
        spans[0] = (last[0], MINUTES_PER_WEEK + spans[0][1])
    return spans


# --------------------------------------------------------------------------- formatting


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days_label(days: Sequence[int]) -> str:
    if len(days) == 7:
        return "Daily"
    runs: list[list[int]] = []
    for d in days:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ", ".join(
        DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]}–{DAY_NAMES[r[-1]]}" for r in runs
    )


def format_weekly(av: WeeklyAvailability) -> str:
    """The normal form, grouping days with the same times: ``Mon–Fri 18:00–21:00, Sat 10:00–14:00``.

    Groups are separated by ``, `` when each has one window and a plain day label, else by
    ``; ``. ``parse_weekly(format_weekly(av)) == av`` for every non-empty ``av``; the empty
    week reads "No times set".
    """
    if not av.windows:
        return "No times set"
    groups: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for weekday in range(7):
        spans = av.day(weekday)
        if spans:
            groups.setdefault(spans, []).append(weekday)
    parts: list[tuple[str, str]] = []
    for spans, days in sorted(groups.items(), key=lambda item: item[1][0]):
        times = ", ".join(f"{_hhmm(s)}–{_hhmm(e)}" for s, e in spans)
        parts.append((_days_label(days), times))
    simple = all("," not in label and "," not in times for label, times in parts)
    return (", " if simple else "; ").join(f"{label} {times}" for label, times in parts)


# --------------------------------------------------------------------------- parsing


def _bad(problem: str) -> InvalidInput:
    return InvalidInput("availability", problem, accepted=AVAILABILITY_ACCEPTED)


_DAY_WORDS: dict[str, int] = {
    "mon": 0, "monday": 0, "mo": 0,
    "tue": 1, "tues": 1, "tuesday": 1, "tu": 1,
    "wed": 2, "weds": 2, "wednesday": 2, "we": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "th": 3,
    "fri": 4, "friday": 4, "fr": 4,
    "sat": 5, "saturday": 5, "sa": 5,
    "sun": 6, "sunday": 6, "su": 6,
}  # fmt: skip
_GROUP_WORDS: dict[str, tuple[int, ...]] = {
    "weekdays": (0, 1, 2, 3, 4),
    "weekday": (0, 1, 2, 3, 4),
    "weekends": (5, 6),
    "weekend": (5, 6),
    "daily": (0, 1, 2, 3, 4, 5, 6),
    "everyday": (0, 1, 2, 3, 4, 5, 6),
}
_FILLER = frozenset({"every", "each", "on", "from", "at"})

_PIECE_SPLIT = re.compile(r"[,;\n\r]+|\s+and\s+|\s*&\s*", re.IGNORECASE)
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_ALL_DAY = re.compile(r"\ball[\s-]*day\b")
_EVERY_DAY = re.compile(r"\b(?:every|each)\s+day\b")
_RANGE_WORDS = re.compile(r"\s+(?:to|through|thru|until|till)\s+")
_AROUND_DASH = re.compile(r"\s*-\s*")
_TIMES_BEGIN = re.compile(r"\d|\b(?:noon|midday|midnight)\b")
_TIME = r"(?:\d+(?:[:.]\d+)?(?:\s*[ap]\.?m\.?)?|noon|midday|midnight)"
_RANGE = re.compile(rf"(?P<a>{_TIME})-(?P<b>{_TIME})")
_TIME_PARTS = re.compile(r"(?P<h>\d+)(?:[:.](?P<m>\d+))?\s*(?:(?P<ap>[ap])\.?m\.?)?")


@dataclass(frozen=True)
class _Clock:
    raw: str
    hour: int
    minute: int
    ap: str | None  # "a", "p" or None
    word: str | None  # "noon", "midnight" or None


def _norm_piece(piece: str) -> str:
    p = _DASHES.sub("-", piece.strip().lower())
    p = p.replace("24/7", "daily 00:00-24:00")
    p = _ALL_DAY.sub(" 00:00-24:00 ", p)
    p = _EVERY_DAY.sub("daily", p)
    p = _RANGE_WORDS.sub("-", p)
    p = _AROUND_DASH.sub("-", p)
    return p.strip()


def _day_word(word: str, piece: str) -> tuple[int, ...]:
    w = word.strip(".")
    for cand in (w, w[:-1] if w.endswith("s") else ""):
        if cand in _DAY_WORDS:
            return (_DAY_WORDS[cand],)
        if cand in _GROUP_WORDS:
            return _GROUP_WORDS[cand]
    close = difflib.get_close_matches(w, [*_DAY_WORDS, *_GROUP_WORDS], n=1, cutoff=0.6)
    hint = f" Did you mean “{quote(close[0])}”?" if close else ""
    raise _bad(f"“{quote(word)}” in “{quote(piece)}” is not a day.{hint}")


def _single_day(word: str, piece: str) -> int:
    days = _day_word(word, piece)
    if len(days) != 1:
        raise _bad(f"“{quote(word)}” cannot be one end of a range of days in “{quote(piece)}”.")
    return days[0]


def _read_days(text: str, piece: str) -> list[int]:
    days: list[int] = []
    for item in re.split(r"[\s/+]+", text):
        if not item or item in _FILLER:
            continue
        if "-" in item:
            ends = item.split("-")
            if len(ends) != 2 or not all(ends):
                raise _bad(f"“{quote(item)}” in “{quote(piece)}” is not a range of days such as “mon-fri”.")
            first, last = _single_day(ends[0], piece), _single_day(ends[1], piece)
            days.extend((first + i) % 7 for i in range((last - first) % 7 + 1))
        else:
            days.extend(_day_word(item, piece))
    return sorted(set(days))


def _read_clock(raw: str, piece: str) -> _Clock:
    raw = raw.strip()
    if raw in ("noon", "midday"):
        return _Clock(raw, 12, 0, None, "noon")
    if raw == "midnight":
        return _Clock(raw, 0, 0, None, "midnight")
    m = _TIME_PARTS.fullmatch(raw)
    if m is None:  # pragma: no cover - the range pattern only lets times through
        raise _bad(f"“{quote(raw)}” in “{quote(piece)}” is not a time.")
    hours, minutes, ap = m.group("h"), m.group("m"), m.group("ap")
    if len(hours) > 2:
        raise _bad(f"“{quote(raw)}” in “{quote(piece)}” is not a time; write hours and minutes as 18:30.")
    if minutes is not None and len(minutes) != 2:
        raise _bad(f"“{quote(raw)}” in “{quote(piece)}” is not a time; minutes take two digits, as in 18:05.")
    hour, minute = int(hours), int(minutes or 0)
    if minute > 59:
        raise _bad(f"“{quote(raw)}” in “{quote(piece)}” is not a time: minutes go up to 59.")
    if ap is not None and not 1 <= hour <= 12:
        raise _bad(f"“{quote(raw)}” in “{quote(piece)}” is not a time: with am/pm the hour runs from 1 to 12.")
    if hour > 24 or (hour == 24 and minute):
        raise _bad(f"“{quote(raw)}” in “{quote(piece)}” is not a time: hours go up to 24:00.")
    return _Clock(raw, hour, minute, ap, None)


def _clock_value(c: _Clock, ap: str | None) -> int:
    if c.word == "noon":
        return 720
    if c.word == "midnight":
        return 0
    if ap is None:
        return c.hour * 60 + c.minute
    return (c.hour % 12) * 60 + c.minute + (720 if ap == "p" else 0)


def _forward(a: int, b: int) -> int:
    return (b - a) % MINUTES_PER_DAY or MINUTES_PER_DAY


def _read_range(raw: str, a_raw: str, b_raw: str, piece: str) -> tuple[int, int]:
    """Start and end minutes; an end before the start means the window runs past midnight."""
    a, b = _read_clock(a_raw, piece), _read_clock(b_raw, piece)
    if a.hour == 24:
        raise _bad(
            f"“{quote(raw)}” in “{quote(piece)}” starts at 24:00; a window can end at 24:00 but not start."
        )
    ap_a, ap_b = a.ap, b.ap
    bare_a = a.word is None and a.ap is None and 1 <= a.hour <= 12
    bare_b = b.word is None and b.ap is None and 1 <= b.hour <= 12
    if bare_a and ap_b is not None:
        end = _clock_value(b, ap_b)
        ap_a = min(("a", "p"), key=lambda x: _forward(_clock_value(a, x), end))
    elif bare_b and ap_a is not None:
        start = _clock_value(a, ap_a)
        ap_b = min(("a", "p"), key=lambda x: _forward(start, _clock_value(b, x)))
    start, end = _clock_value(a, ap_a), _clock_value(b, ap_b)
    if start == MINUTES_PER_DAY:  # pragma: no cover - refused above
        raise _bad(f"“{quote(raw)}” starts at 24:00.")
    if end == 0 and start > 0:
        end = MINUTES_PER_DAY
    if end == start:
        raise _bad(f"“{quote(raw)}” in “{quote(piece)}” has no length: it starts and ends at the same time.")
    if end < start and MINUTES_PER_DAY - start + end > MAX_OVERNIGHT_MINUTES:
        raise _bad(
            f"“{quote(raw)}” in “{quote(piece)}” ends before it starts. A window may run past midnight "
            f"(as in “fri 22:00-01:00”) for up to 12 hours; otherwise write the earlier time first."
        )
    return start, end


def _read_times(text: str, piece: str) -> list[tuple[int, int, str]]:
    ranges: list[tuple[int, int, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        m = _RANGE.match(text, pos)
        if m is None:
            rest = text[pos:].strip()
            raise _bad(
                f"Could not read the times “{quote(rest)}” in “{quote(piece)}”; "
                "write a start and an end, such as 18:00-21:00 or 7pm-9pm."
            )
        start, end = _read_range(m.group(0), m.group("a"), m.group("b"), piece)
        ranges.append((start, end, m.group(0)))
        pos = m.end()
    return ranges


def parse_weekly(text: str) -> WeeklyAvailability:
    """Read a week of availability written in the member's own time zone.

    See the module documentation for the grammar. Raises ``InvalidInput("availability",
    ...)`` naming the piece that could not be read and the accepted form.
    """
    if len(text) > MAX_TEXT_LENGTH:
        raise _bad(f"That is {len(text)} characters; keep it to {MAX_TEXT_LENGTH} or fewer.")
    pieces = [p.strip() for p in _PIECE_SPLIT.split(text) if p and p.strip()]
    if not pieces:
        raise _bad("No availability was given.")
    parsed: list[tuple[str, list[int], list[tuple[int, int, str]]]] = []
    for piece in pieces:
        norm = _norm_piece(piece)
        found = _TIMES_BEGIN.search(norm)
        cut = len(norm) if found is None else found.start()
        days_text, times_text = norm[:cut], norm[cut:]
        parsed.append((piece, _read_days(days_text, piece), _read_times(times_text, piece)))

    any_times = any(times for _, _, times in parsed)
    spans: list[tuple[int, int, int, str]] = []  # weekday, start, end, source piece
    pending: list[int] = []
    pending_pieces: list[str] = []
    last_days: list[int] = []
    for piece, days, times in parsed:
        if not times:
            if not any_times:
                times = [(0, MINUTES_PER_DAY, "all day")]
            else:
                pending.extend(days)
                pending_pieces.append(piece)
                continue
        days = sorted(set(pending + days))
        if not days:
            if not last_days:
                raise _bad(
                    f"“{quote(piece)}” has times but no days; start with days, as in “sat {piece}”."
                )
            days = last_days
        source = ", ".join([*pending_pieces, piece])
        pending, pending_pieces, last_days = [], [], days
        for weekday in days:
            for start, end, _raw in times:
                if end > start:
                    spans.append((weekday, start, end, source))
                else:  # past midnight
                    spans.append((weekday, start, MINUTES_PER_DAY, source))
                    if end > 0:
                        spans.append(((weekday + 1) % 7, 0, end, source))
    if pending_pieces:
        first = pending_pieces[0]
        raise _bad(
            f"“{quote(first)}” has no times; add them, as in “{first} 18:00-21:00” or “{first} all day”."
        )

    windows = _merge(Window(d, s, e) for d, s, e, _ in spans)
    if len(windows) > MAX_WINDOWS:
        raise _bad(
            f"That makes {len(windows)} separate windows; a week holds at most {MAX_WINDOWS}. "
            "Join some of them."
        )
    for s, e in _stretches(windows):
        if e - s < MIN_WINDOW_MINUTES:
            source = next(
                src
                for d, a, b, src in spans
                for shift in (0, MINUTES_PER_WEEK)
                if a + d * MINUTES_PER_DAY + shift < e and s < b + d * MINUTES_PER_DAY + shift
            )
            raise _bad(
                f"“{quote(source)}” gives a window of only {e - s} minutes; a window needs at least "
                f"{MIN_WINDOW_MINUTES} minutes so a session fits."
            )
    return WeeklyAvailability(windows)


# --------------------------------------------------------------------------- blackouts


_DATE_TOKEN = re.compile(r"\d{4}-\d{2}-\d{2}")


def _bad_blackout(problem: str) -> InvalidInput:
    return InvalidInput("blackouts", problem, accepted=BLACKOUTS_ACCEPTED)


def _read_date(token: str) -> date:
    if not _DATE_TOKEN.fullmatch(token):
        raise _bad_blackout(f"“{quote(token)}” is not a date written as YYYY-MM-DD.")
    try:
        return date.fromisoformat(token)
    except ValueError:
        raise _bad_blackout(f"“{quote(token)}” is not a real date.") from None


def parse_blackouts(text: str) -> tuple[date, ...]:
    """Dates the member is away, in their own time zone: ``2026-12-24, 2026-12-27..2026-12-31``.

    Separators: commas, semicolons, new lines or spaces; ``a..b`` includes both ends.
    Returns sorted unique dates; empty text means no blackout dates. At most 366 days.
    """
    if len(text) > MAX_BLACKOUT_TEXT_LENGTH:
        raise _bad_blackout(
            f"That is {len(text)} characters; keep it to {MAX_BLACKOUT_TEXT_LENGTH} or fewer."
        )
    norm = re.sub(r"\s*\.\.\s*", "..", text.strip())
    days: set[date] = set()
    for token in re.split(r"[,;\s]+", norm):
        if not token:
            continue
        if ".." in token:
            ends = token.split("..")
            if len(ends) != 2 or not all(ends):
                raise _bad_blackout(f"“{quote(token)}” is not a range such as 2026-12-27..2026-12-31.")
            first, last = _read_date(ends[0]), _read_date(ends[1])
            if last < first:
                raise _bad_blackout(f"“{quote(token)}” ends before it starts.")
            span = (last - first).days + 1
            if span > MAX_BLACKOUT_DAYS:
                raise _bad_blackout(
                    f"“{quote(token)}” covers {span} days; at most {MAX_BLACKOUT_DAYS} in all."
                )
            days.update(first + timedelta(days=i) for i in range(span))
        else:
            days.add(_read_date(token))
        if len(days) > MAX_BLACKOUT_DAYS:
            raise _bad_blackout(
                f"That is more than {MAX_BLACKOUT_DAYS} days away; shorten the list."
            )
    return tuple(sorted(days))


def format_blackouts(dates: Iterable[date]) -> str:
    """Compact form that ``parse_blackouts`` reads back: consecutive days become ``a..b``."""
    runs: list[list[date]] = []
    for d in sorted(set(dates)):
        if runs and runs[-1][1] + timedelta(days=1) == d:
            runs[-1][1] = d
        else:
            runs.append([d, d])
    return ", ".join(
        a.isoformat() if a == b else f"{a.isoformat()}..{b.isoformat()}" for a, b in runs
    )


# --------------------------------------------------------------------------- expansion


def _seconds_since_epoch(dt: datetime, *, what: str) -> tuple[int, bool]:
    """Whole seconds (floored) and whether there was a fraction left over."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime")
    whole, rest = divmod(dt - _EPOCH, _SECOND)
    return whole, bool(rest)


def _offset_seconds(off: timedelta | None) -> int:
    assert off is not None
    return off // _SECOND


@lru_cache(maxsize=65536)
def _wall_to_utc(tz: ZoneInfo, ordinal: int, minute: int, is_start: bool) -> int:
    """UTC seconds for a window edge at local ``minute`` of the local date ``ordinal``."""
    naive = datetime.fromordinal(ordinal) + timedelta(minutes=minute)
    off0 = _offset_seconds(naive.replace(tzinfo=tz).utcoffset())
    off1 = _offset_seconds(naive.replace(tzinfo=tz, fold=1).utcoffset())
    base = (ordinal - _EPOCH_ORDINAL) * 86400 + minute * 60
    if off0 == off1:
        return base - off0
    if off0 > off1:  # repeated hour: a start takes the later reading, an end the earlier one
        return base - (off1 if is_start else off0)
    # Spring gap: this wall time never shows; use the moment the clocks jump.
    lo, hi = base - off1, base - off0  # offset is off0 at lo, off1 at hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset_seconds((_EPOCH + timedelta(seconds=mid)).astimezone(tz).utcoffset()) == off1:
            hi = mid
        else:
            lo = mid
    return hi


def _local_ordinal(seconds: int, tz: ZoneInfo) -> int:
    return (_EPOCH + timedelta(seconds=seconds)).astimezone(tz).toordinal()


def candidate_starts(
    av: WeeklyAvailability,
    tz: ZoneInfo,
    start_utc: datetime,
    end_utc: datetime,
    *,
    session_minutes: int = 60,
    grid_minutes: int = 30,
    blackouts: Iterable[date] = (),
    busy: Iterable[tuple[datetime, datetime]] = (),
) -> list[datetime]:
    """Every session start on the UTC grid in ``[start_utc, end_utc)`` the member can take.

    A start ``s`` (aware UTC, a multiple of ``grid_minutes`` since midnight UTC, so :00/:30
    by default) is returned when the whole session ``[s, s + session)`` lies in the
    member's availability read in ``tz`` (windows that continue across midnight count as
    one stretch), touches no local blackout date and overlaps no ``busy`` interval (half
    open: a session may start when a busy interval ends). Sorted, no duplicates. The
    session may end after ``end_utc``. Daylight saving: see the module documentation.

    Raises ``ValueError`` for naive datetimes, a non-positive session or a grid that does
    not divide a day.
    """
    if session_minutes <= 0:
        raise ValueError("session_minutes must be positive")
    if grid_minutes <= 0 or MINUTES_PER_DAY % grid_minutes:
        raise ValueError("grid_minutes must divide a day (1440 minutes)")
    lo, lo_frac = _seconds_since_epoch(start_utc, what="start_utc")
    hi, hi_frac = _seconds_since_epoch(end_utc, what="end_utc")
    lo += lo_frac
    hi += hi_frac  # starts are whole seconds < end_utc, i.e. < hi after rounding up
    if hi <= lo or not av.windows:
        return []
    session, grid = session_minutes * 60, grid_minutes * 60
    blocked = {d.toordinal() for d in blackouts}

    # Available stretches in UTC seconds, one local date at a time (a day either side
    # covers offsets and sessions running past the range).
    spans: list[tuple[int, int]] = []
    for ordinal in range(_local_ordinal(lo, tz) - 1, _local_ordinal(hi + session, tz) + 2):
        if ordinal in blocked:
            continue
        for start, end in av.day((ordinal - 1) % 7):
            a = _wall_to_utc(tz, ordinal, start, True)
            b = _wall_to_utc(tz, ordinal, end, False)
            if b <= a:
                continue
            if spans and a <= spans[-1][1]:
                if b > spans[-1][1]:
                    spans[-1] = (spans[-1][0], b)
            else:
                spans.append((a, b))

    busy_spans = _busy_spans(busy)
    if busy_spans:
        spans = _subtract(spans, busy_spans)

    out: list[datetime] = []
    for a, b in spans:
        first = max(a, lo)
        first = -(-first // grid) * grid
        stop = min(b - session + 1, hi)
        out.extend(_EPOCH + timedelta(seconds=s) for s in range(first, stop, grid))
    return out


def _busy_spans(busy: Iterable[tuple[datetime, datetime]]) -> list[tuple[int, int]]:
    raw: list[tuple[int, int]] = []
    for a_dt, b_dt in busy:
        a, _ = _seconds_since_epoch(a_dt, what="busy start")
        b, b_frac = _seconds_since_epoch(b_dt, what="busy end")
        b += b_frac
        if b > a:
            raw.append((a, b))
    raw.sort()
    merged: list[tuple[int, int]] = []
    for a, b in raw:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _subtract(spans: list[tuple[int, int]], busy: list[tuple[int, int]]) -> list[tuple[int, int]]:
    ends = [b for _, b in busy]
    out: list[tuple[int, int]] = []
    for a, b in spans:
        cur = a
        for i in range(bisect_right(ends, a), len(busy)):
            x, y = busy[i]
            if x >= b:
                break
            if x > cur:
                out.append((cur, x))
            cur = max(cur, y)
            if cur >= b:
                break
        if cur < b:
            out.append((cur, b))
    return out


# --------------------------------------------------------------------------- time zones

_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules", "posix", "right"})
_REGIONS = (
    "Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/",
    "Australia/", "Europe/", "Indian/", "Pacific/",
)  # fmt: skip


@cache
def _zone_names() -> tuple[str, ...]:
    return tuple(
        sorted(
            n
            for n in available_timezones()
            if n not in _NOT_ZONES and not n.startswith(("posix/", "right/"))
        )
    )


@cache
def _zones_by_lower() -> dict[str, str]:
    return {n.lower(): n for n in _zone_names()}


def _zone_key(text: str) -> str:
    return re.sub(r"\s+", "_", text.strip()).lower()


def validate_timezone(name: str) -> ZoneInfo:
    """The zone for an IANA name, matched case-insensitively (spaces may stand for ``_``).

    Raises ``InvalidInput("timezone", ...)`` suggesting close names when it is not one.
    """
    key = _zone_key(name)
    by_lower = _zones_by_lower()
    canonical = by_lower.get(key) or {"gmt": "GMT", "z": "UTC", "utc": "UTC"}.get(key)
    if canonical is not None:
        try:
            return ZoneInfo(canonical)
        except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - listed but unreadable
            pass
    shown = name.strip()
    if not shown:
        raise InvalidInput("timezone", "No time zone was given.", accepted=TIMEZONE_ACCEPTED)
    suggestions = _suggest_zones(key)
    hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
    raise InvalidInput(
        "timezone", f"“{quote(shown)}” is not a time zone name.{hint}", accepted=TIMEZONE_ACCEPTED
    )


def _suggest_zones(key: str) -> list[str]:
    by_lower = _zones_by_lower()
    if not key or len(key) > 60:
        return []
    # A city alone ("berlin", "new york") names exactly one zone's last part.
    tails = [n for low, n in by_lower.items() if low.rsplit("/", 1)[-1] == key]
    if tails:
        return sorted(tails, key=lambda n: (not n.startswith(_REGIONS), n))[:3]
    close = difflib.get_close_matches(key, list(by_lower), n=3, cutoff=0.75)
    if not close:
        tails_map: dict[str, str] = {}
        for low, n in by_lower.items():
            tails_map.setdefault(low.rsplit("/", 1)[-1], n)
        tail = key.rsplit("/", 1)[-1]
        close_tails = difflib.get_close_matches(tail, list(tails_map), n=3, cutoff=0.75)
        return [tails_map[t] for t in close_tails]
    return [by_lower[c] for c in close]


def common_timezones(prefix: str, limit: int = 25) -> list[str]:
    """Zone names containing ``prefix`` (case-insensitive), best first, for autocomplete.

    Order: exact name, then names starting with the text, then names with a part (city)
    starting with it, then other matches; regional names (Europe/..., America/...) before
    legacy aliases (US/Eastern, Etc/GMT+5), then alphabetical. Empty text lists all.
    """
    if limit <= 0:
        return []
    key = _zone_key(prefix)

    def rank(name: str) -> tuple[int, bool, str]:
        low = name.lower()
        if low == key:
            place = 0
        elif low.startswith(key):
            place = 1
        elif any(part.startswith(key) for part in low.split("/")[1:]):
            place = 2
        else:
            place = 3
        return place, not (name.startswith(_REGIONS) or name == "UTC"), name

    matches = [n for n in _zone_names() if key in n.lower()]
    return sorted(matches, key=rank)[:limit]


# --------------------------------------------------------------------------- one moment


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
    weekday = _DAY_WORDS.get(day_text, _DAY_WORDS.get(singular))
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
    _seconds_since_epoch(now, what="now")
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
    if not re.fullmatch(_TIME, text):
        raise _bad_when(f"Could not read the time “{quote(text)}” in “{quote(raw)}”.")
    try:
        c = _read_clock(text, raw)
    except InvalidInput as exc:
        raise _bad_when(exc.problem) from None
    if c.hour == 24:
        raise _bad_when(f"“{quote(text)}” in “{quote(raw)}” is not a time of day; use 00:00 of the next day.")
    minutes = _clock_value(c, c.ap)
    return time(minutes // 60, minutes % 60)


def _localise(naive: datetime, tz: ZoneInfo, raw: str) -> datetime:
    aware = naive.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None, fold=0)
    if back != naive:
        raise _bad_when(
            f"“{quote(raw)}” does not exist in {tz.key}: the clocks jump forward then. Pick a later time."
        )
    return aware.astimezone(UTC)
