"""What the database benchmarks share: bulk inserts and counting the SQL statements sent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel

#: Time zones the benchmarks' generated members live in (every continent, both hemispheres).
MEMBER_ZONES: tuple[str, ...] = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Africa/Lagos",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "UTC",
)

#: Rows per bulk INSERT.
CHUNK = 5000


async def bulk_insert(
    conn: AsyncConnection, table: type[SQLModel], rows: list[dict[str, Any]]
) -> None:
    """Insert ``rows`` into ``table``'s table, :data:`CHUNK` rows to a statement."""
    for i in range(0, len(rows), CHUNK):
        await conn.execute(insert(table), rows[i : i + CHUNK])


@contextmanager
def counting_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement sent through ``engine`` inside the block, in order."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
