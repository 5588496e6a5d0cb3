"""Slack events handled once across every process sharing the database.

Slack re-sends an event it thinks went unanswered (a slow answer, an error, a rate limit)
with the same ``event_id``, and behind a load balancer the retry may reach another process.
:class:`SqlSlackEventLog` records each ``event_id`` in ``slack_events`` (a unique key; migration
``0012_ops``): the first insert wins, in whichever process it happens, and every later
delivery of that event is acknowledged without work. Rows expire after :data:`KEEP` (Slack
retries for minutes, not hours) and are deleted a batch at a time as new events arrive.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, delete
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel

from bot.storage.queries import insert_ignore_on
from bot.storage.types import UTCDateTime

#: How long an event id is remembered (Slack's last retry comes about five minutes after the first).
KEEP = timedelta(hours=1)
#: Expired rows are deleted once per this many events recorded by a process.
SWEEP_EVERY = 200


class SlackEventRow(SQLModel, table=True):
    __tablename__ = "slack_events"

    event_id: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


EVENTS = SlackEventRow.__table__  # type: ignore[attr-defined]


def _utc_now() -> datetime:
    return datetime.now(UTC)


#: An event id as Slack writes them (``Ev0123ABCD``): stored as it is.
_PLAIN_ID = re.compile(r"[\x21-\x7e]{1,64}")


def event_key(event_id: str) -> str:
    """The key an event is recorded under: its id, or for an id Slack would never send (over
    64 characters, spaces, NUL or other characters a column may refuse) a digest of it, so
    two ids never share a key and no id makes the insert fail."""
    if _PLAIN_ID.fullmatch(event_id):
        return event_id
    return "sha256:" + hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()[:57]


class SqlSlackEventLog:
    """Which Slack events some process has already taken (shared through the database)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        now: Callable[[], datetime] = _utc_now,
        keep: timedelta = KEEP,
        sweep_every: int = SWEEP_EVERY,
    ) -> None:
        self._engine = engine
        self._now = now
        self._keep = keep
        self._sweep_every = max(1, sweep_every)
        self._recorded = 0

    async def first_time(self, event_id: str) -> bool:
        """Record ``event_id``; True when no process had recorded it before (handle it), False
        for a re-delivery (acknowledge it and do nothing)."""
        now = self._now()
        values = {"event_id": event_key(event_id), "expires_at": now + self._keep}
        async with self._engine.begin() as conn:
            stmt = insert_ignore_on(conn.dialect.name, EVENTS, values, "event_id")
            first = bool((await conn.execute(stmt)).rowcount)
            if first:
                self._recorded += 1
                if self._recorded % self._sweep_every == 0:
                    await conn.execute(delete(EVENTS).where(EVENTS.c.expires_at < now))
        return first

    async def sweep(self) -> int:
        """Delete expired rows now; how many went."""
        async with self._engine.begin() as conn:
            return int(
                (
                    await conn.execute(delete(EVENTS).where(EVENTS.c.expires_at < self._now()))
                ).rowcount
            )
