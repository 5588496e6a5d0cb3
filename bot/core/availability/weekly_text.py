"""The weekly availability text parser: :func:`parse_weekly` reads a week as members write it.

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
"""

from __future__ import annotations

import difflib
import re

from bot.core.availability.weekly import (
    MAX_WINDOWS,
    MIN_WINDOW_MINUTES,
    MINUTES_PER_DAY,
    MINUTES_PER_WEEK,
    WeeklyAvailability,
    Window,
    merge_windows,
    stretches,
)
from bot.core.availability.words import DAY_WORDS, TIME, clock_value, read_clock
from bot.core.errors import InvalidInput
from bot.core.messages import quote

MAX_TEXT_LENGTH = 500
#: A window written with its end before its start runs past midnight only up to this long.
MAX_OVERNIGHT_MINUTES = 12 * 60
AVAILABILITY_ACCEPTED = (
    "days then times, such as “weekdays 18:00-21:00, sat 10-14” or “mon,wed 7pm-9pm; "
    "sun 09:30-12” (days: mon..sun, mon-fri, weekdays, weekends, daily; times: 24-hour "
    "or am/pm, noon, midnight, all day)"
)


def _bad(problem: str) -> InvalidInput:
    return InvalidInput("availability", problem, accepted=AVAILABILITY_ACCEPTED)


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
_RANGE = re.compile(rf"(?P<a>{TIME})-(?P<b>{TIME})")


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
        if cand in DAY_WORDS:
            return (DAY_WORDS[cand],)
        if cand in _GROUP_WORDS:
            return _GROUP_WORDS[cand]
    close = difflib.get_close_matches(w, [*DAY_WORDS, *_GROUP_WORDS], n=1, cutoff=0.6)
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
                raise _bad(
                    f"“{quote(item)}” in “{quote(piece)}” is not a range of days such as “mon-fri”."
                )
            first, last = _single_day(ends[0], piece), _single_day(ends[1], piece)
            days.extend((first + i) % 7 for i in range((last - first) % 7 + 1))
        else:
            days.extend(_day_word(item, piece))
    return sorted(set(days))


def _forward(a: int, b: int) -> int:
    return (b - a) % MINUTES_PER_DAY or MINUTES_PER_DAY


def _read_range(raw: str, a_raw: str, b_raw: str, piece: str) -> tuple[int, int]:
    """Start and end minutes; an end before the start means the window runs past midnight."""
    a, b = read_clock(a_raw, piece, _bad), read_clock(b_raw, piece, _bad)
    if a.hour == 24:
        raise _bad(
            f"“{quote(raw)}” in “{quote(piece)}” starts at 24:00; a window can end at 24:00 but not start."
        )
    ap_a, ap_b = a.ap, b.ap
    bare_a = a.word is None and a.ap is None and 1 <= a.hour <= 12
    bare_b = b.word is None and b.ap is None and 1 <= b.hour <= 12
    if bare_a and ap_b is not None:
        end = clock_value(b, ap_b)
        ap_a = min(("a", "p"), key=lambda x: _forward(clock_value(a, x), end))
    elif bare_b and ap_a is not None:
        start = clock_value(a, ap_a)
        ap_b = min(("a", "p"), key=lambda x: _forward(start, clock_value(b, x)))
    start, end = clock_value(a, ap_a), clock_value(b, ap_b)
    if start == MINUTES_PER_DAY:  # pragma: no cover - refused above
        raise _bad(f"“{quote(raw)}” starts at 24:00.")
    if end == 0 and start > 0:
        end = MINUTES_PER_DAY
    if end == start:
        raise _bad(
            f"“{quote(raw)}” in “{quote(piece)}” has no length: it starts and ends at the same time."
        )
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

    windows = merge_windows(Window(d, s, e) for d, s, e, _ in spans)
    if len(windows) > MAX_WINDOWS:
        raise _bad(
            f"That makes {len(windows)} separate windows; a week holds at most {MAX_WINDOWS}. "
            "Join some of them."
        )
    for s, e in stretches(windows):
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
