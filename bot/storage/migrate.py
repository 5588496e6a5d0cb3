"""Alembic, run programmatically: the app upgrades on start; ``peerloop db upgrade`` by hand.

Several processes may start at once on a fresh database (two bots, a deploy's release step
and the app). The upgrade runs in one transaction that first takes a database-wide lock, so
the others wait, then find the schema current and change nothing: a PostgreSQL advisory
lock on a fixed key, or SQLite's write lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


#: The advisory lock every PeerLoop process takes to upgrade a PostgreSQL schema (any fixed
#: number; ``hashtext('peerloop-schema-upgrade')`` would do as well).
UPGRADE_LOCK_KEY = 0x5045_4552_4C4F_4F50  # "PEERLOOP"
#: How long a process waits for another one's upgrade on SQLite before giving up.
SQLITE_UPGRADE_WAIT_MS = 120_000


async def _lock_schema(conn: AsyncConnection) -> None:
    """Take the upgrade lock on this connection, in the transaction the upgrade runs in
    (released when it commits or rolls back, also when the process dies)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        await conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_UPGRADE_WAIT_MS}")
        await conn.exec_driver_sql("BEGIN IMMEDIATE")


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` under the upgrade lock (one process at a time)."""
    async with engine.begin() as conn:
        sqlite = conn.dialect.name == "sqlite"
        # The connection's own wait for a locked database, given back to the pool afterwards.
        busy_ms = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() if sqlite else None
        try:
            await _lock_schema(conn)
            await conn.run_sync(_upgrade, revision)
        finally:
            if sqlite:
                await conn.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_ms or 0)}")


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)
