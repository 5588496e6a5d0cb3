"""When digests are due: ISO weeks, the community's weekday and hour in each member's zone
(:func:`local_due`, DST-correct through :mod:`zoneinfo`), and the due slots around a moment."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
#: Feedback stays open this long after a session ends (as in the feedback service).
FEEDBACK_WINDOW = timedelta(hours=72)


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO week (year and week number), the unit digests are computed for."""

    year: int
    week: int

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        """The ISO week ``day`` falls in."""
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def parse(cls, label: str) -> IsoWeek:
        """The week of a label such as ``2026-W49``."""
        year, _, week = label.partition("-W")
        return cls(int(year), int(week))

    @property
    def label(self) -> str:
        """The label, such as ``2026-W49``."""
        return f"{self.year}-W{self.week:02d}"

    def day(self, weekday: int) -> date:
        """The date of ``weekday`` (0 = Monday) in this week."""
        return date.fromisocalendar(self.year, self.week, weekday + 1)

    def shift(self, weeks: int) -> IsoWeek:
        """The week ``weeks`` weeks later (earlier when negative)."""
        return IsoWeek.of(self.day(0) + timedelta(weeks=weeks))


def zone(name: str | None) -> ZoneInfo:
    """The member's zone; UTC when none is set (or an unknown name slipped into storage)."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r: digests use UTC", name)
        return ZoneInfo("UTC")


def local_due(week: IsoWeek, weekday: int, hour: int, tz: str | None) -> datetime:
    """``weekday`` at ``hour`` o'clock of ``week`` in zone ``tz``, as aware UTC.

    An hour that does not exist that day (clocks go forward) comes out one hour later on the
    wall clock; an hour that happens twice (clocks go back) means its first occurrence."""
    day = week.day(weekday)
    local = datetime(day.year, day.month, day.day, hour, tzinfo=zone(tz))
    return local.astimezone(UTC)


def weeks_around(now: datetime) -> tuple[IsoWeek, ...]:
    """The ISO weeks whose digests may still be ahead at ``now`` (zones span 26 hours)."""
    this = IsoWeek.of(now.astimezone(UTC).date())
    return (this.shift(-1), this, this.shift(1))


def due_slots(
    zones: Iterable[str | None], weekday: int, hour: int, now: datetime
) -> dict[tuple[IsoWeek, datetime], list[str | None]]:
    """Every (week, due instant) still ahead of ``now`` with the zones due then."""
    slots: dict[tuple[IsoWeek, datetime], list[str | None]] = defaultdict(list)
    for week in weeks_around(now):
        for tz in sorted(set(zones), key=lambda z: z or ""):
            due = local_due(week, weekday, hour, tz)
            if due > now:
                slots[(week, due)].append(tz)
    return dict(slots)
