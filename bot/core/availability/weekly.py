"""A member's week: :class:`Window` and :class:`WeeklyAvailability` (sorted, merged windows in
the member's own time zone, with their storage form), and :func:`format_weekly`, the normal form
members read back (``Mon–Fri 18:00–21:00, Sat 10:00–14:00``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from bot.core.errors import InvalidInput

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
MIN_WINDOW_MINUTES = 30
MAX_WINDOWS = 35
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


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
        """The window's length in minutes."""
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
        for start, end in stretches(windows):
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
        return cls(merge_windows(items))

    def __bool__(self) -> bool:
        return bool(self.windows)

    def day(self, weekday: int) -> tuple[tuple[int, int], ...]:
        """The (start, end) minute pairs of one weekday."""
        return self._by_day[weekday]

    def stretches(self) -> list[tuple[int, int]]:
        """Continuous stretches in minutes from Monday 00:00; one may run past 10080 (wraps)."""
        return stretches(self.windows)

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


def merge_windows(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Sorted windows, overlapping or touching ones on the same day joined."""
    out: list[Window] = []
    for w in sorted(windows):
        if out and out[-1].weekday == w.weekday and w.start <= out[-1].end:
            if w.end > out[-1].end:
                out[-1] = Window(w.weekday, out[-1].start, w.end)
        else:
            out.append(w)
    return tuple(out)


def stretches(windows: Sequence[Window]) -> list[tuple[int, int]]:
    """Continuous stretches in minutes from Monday 00:00 (Sunday into Monday joins the first)."""
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
