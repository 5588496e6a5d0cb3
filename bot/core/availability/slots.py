"""Slot expansion: :func:`candidate_starts` turns a weekly availability, its zone, blackout dates
and busy spans into the UTC start times a session could take.

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

from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.core.availability.weekly import MINUTES_PER_DAY, WeeklyAvailability

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SECOND = timedelta(seconds=1)


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
