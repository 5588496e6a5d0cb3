"""Time: an aware-UTC clock port, the real clock and a settable one for tests and the console."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """The clock port: services ask it for the time instead of the system, so tests and the console
    can move time."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to (tests, the console's ``/clock``, the demo)."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)

    def now(self) -> datetime:
        """The time the clock was set to."""
        return self._now

    def set(self, when: datetime) -> None:
        """Set the clock to ``when`` (aware; kept in UTC)."""
        self._now = ensure_utc(when)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` and return the new time."""
        self._now += delta
        return self._now


def ensure_utc(when: datetime) -> datetime:
    """``when`` in UTC; ``ValueError`` for a naive datetime."""
    if when.tzinfo is None:
        raise ValueError("naive datetime: PeerLoop keeps every time timezone-aware")
    return when.astimezone(UTC)
