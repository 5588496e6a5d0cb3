"""The booking repository: a matching round's bookings written in a few statements a batch.

A round books hundreds or thousands of pairs in one transaction. Written one pair at a time
(an ORM flush for the session, two request updates, an insert for its steps and one for its
announcement) that was about five statements a pair, each compiled and sent from the event
loop. Here a batch of pairs is four statements whatever its size: the sessions, their steps
and their announcements as Core inserts of many rows (``executemany``: one compiled statement,
the rows bound by the driver), and the matched requests as one ``executemany`` UPDATE; the
requests left out are one more. Nothing goes through the ORM (its bulk path looks at every
row again, and its identity map would keep objects for the garbage collector to walk).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.sql.dml import Insert

from bot.core.models import OutboxItem, RequestStatus, ScheduledAction, Session
from bot.storage.action_repo import _action_values
from bot.storage.outbox_repo import SqlOutboxRepo
from bot.storage.queries import dialect_name, table_of
from bot.storage.session_repo import _session_values
from bot.storage.tables import OutboxRow, RequestRow, ScheduledActionRow, SessionRow


class SqlBookingRepo:
    """Bookings and left-out marks of a matching round, a batch per call."""

    def __init__(self, session: AsyncSession, outbox: SqlOutboxRepo) -> None:
        self._s = session
        #: The transaction's outbox: queued messages keep one reading order (``position``).
        self._outbox = outbox

    def _insert_ignore(self, model: type[Any], key: str) -> Insert:
        table = table_of(model)
        if dialect_name(self._s) == "postgresql":
            return pg_insert(table).on_conflict_do_nothing(index_elements=[key])
        return sqlite_insert(table).on_conflict_do_nothing(index_elements=[key])

    async def _many(self, statement: Executable, rows: list[dict[str, Any]]) -> None:
        """One ``executemany`` on the transaction's connection: plain Core (the ORM's bulk
        path would look at every row again), the statement compiled once and cached."""
        if rows:
            connection = await self._s.connection()
            await connection.execute(statement, rows)

    async def book(
        self,
        sessions: Sequence[Session],
        steps: Sequence[ScheduledAction],
        messages: Sequence[OutboxItem],
    ) -> None:
        """Insert these sessions, their scheduled steps (skipping keys that exist) and their
        messages (likewise), and mark each session's requests matched to it."""
        await self._many(insert(table_of(SessionRow)), [_session_values(s) for s in sessions])
        await self._many(
            self._insert_ignore(ScheduledActionRow, "key"), [_action_values(a) for a in steps]
        )
        await self.queue(messages)
        requests = table_of(RequestRow)
        await self._many(
            update(requests)
            .where(requests.c.id == bindparam("b_id"))
            .values(status=RequestStatus.MATCHED.value, session_id=bindparam("b_session")),
            [{"b_id": rid, "b_session": s.id} for s in sessions for rid in s.request_ids],
        )

    async def queue(self, messages: Sequence[OutboxItem]) -> None:
        """Queue these messages (once per key), after those already queued in the transaction."""
        await self._many(
            self._insert_ignore(OutboxRow, "key"), [self._outbox._values(item) for item in messages]
        )

    async def left_out(self, marks: Sequence[tuple[str, int, str]]) -> None:
        """Requests left open this round: ``(request id, times left out, reason)``, one statement."""
        requests = table_of(RequestRow)
        await self._many(
            update(requests)
            .where(requests.c.id == bindparam("b_id"))
            .values(
                times_left_out=bindparam("b_times"), last_left_out_reason=bindparam("b_reason")
            ),
            [{"b_id": rid, "b_times": times, "b_reason": reason} for rid, times, reason in marks],
        )
