"""The database: engine, schema upgrades and the unit of work.

SQLite (aiosqlite) is the embedded default, in WAL mode with foreign keys on and a
busy timeout; ``postgresql+asyncpg://`` URLs use PostgreSQL. Nothing connects at
import time: :class:`Database` opens its engine when the composition root asks.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.storage.action_repo import SqlActionRepo
from bot.storage.booking_repo import SqlBookingRepo
from bot.storage.community_repo import SqlCommunityRepo
from bot.storage.digest_repo import SqlDigestRepo
from bot.storage.feedback_repo import SqlFeedbackRepo
from bot.storage.form_repo import SqlFormDraftRepo
from bot.storage.friend_repo import SqlFriendRequestRepo
from bot.storage.loop_repo import SqlLoopRepo
from bot.storage.member_repo import SqlMemberRepo
from bot.storage.noshow_repo import SqlNoShowRepo
from bot.storage.outbox_repo import SqlOutboxRepo
from bot.storage.pack_repo import SqlPromptPackRepo
from bot.storage.privacy_repo import SqlPrivacyRepo
from bot.storage.report_repo import SqlReportRepo
from bot.storage.request_repo import SqlRequestRepo
from bot.storage.retention_repo import SqlRetentionRepo
from bot.storage.round_repo import SqlRoundRepo
from bot.storage.session_repo import SqlSessionRepo
from bot.storage.stats_repo import SqlStatsRepo

if TYPE_CHECKING:
    from bot.core.ports import UnitOfWork

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000

#: Loggers that write SQL statements with their parameters (member text, tokens) at DEBUG or
#: INFO. Kept at WARNING whatever the root level, so ``LOG_LEVEL=DEBUG`` never logs user text.
STATEMENT_LOGGERS = (
    "sqlalchemy.engine",
    "sqlalchemy.orm",
    "aiosqlite",
    "asyncpg",
    "alembic.runtime.migration",
)


def quiet_statement_loggers() -> None:
    for name in STATEMENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def normalise_url(url: str) -> str:
    """Accept the common spellings and pick the async driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite:///") and not url.startswith("sqlite+aiosqlite"):
        url = "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url


def _prepare_sqlite_path(url: str) -> None:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine whose statements' parameters never reach a log line or an error message
    (``hide_parameters``): they hold what members wrote."""
    quiet_statement_loggers()
    url = normalise_url(url)
    if url.startswith("sqlite"):
        _prepare_sqlite_path(url)
        engine = create_async_engine(
            url,
            echo=echo,
            hide_parameters=True,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL"):
                try:
                    cursor.execute(f"PRAGMA {pragma}")
                except Exception as exc:
                    # Several processes opening a fresh file at once all switch it to WAL;
                    # SQLite answers "locked" at once (no busy wait) to all but one. WAL is
                    # stored in the file, so this connection follows the one that switched it.
                    if "database is locked" not in str(exc):
                        raise
                    log.info("SQLite: PRAGMA %s left to the connection holding the file", pragma)
            cursor.close()

        return engine
    return create_async_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=True)


class SqlUnitOfWork:
    """One transaction over all repositories (the core's :class:`UnitOfWork` port)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        self.communities = SqlCommunityRepo(self.session)
        self.members = SqlMemberRepo(self.session)
        self.requests = SqlRequestRepo(self.session)
        self.sessions = SqlSessionRepo(self.session)
        self.actions = SqlActionRepo(self.session)
        self.outbox = SqlOutboxRepo(self.session)
        self.rounds = SqlRoundRepo(self.session)
        self.booking = SqlBookingRepo(self.session, self.outbox)
        self.no_shows = SqlNoShowRepo(self.session)
        self.feedback = SqlFeedbackRepo(self.session)
        self.packs = SqlPromptPackRepo(self.session)
        self.digests = SqlDigestRepo(self.session)
        self.privacy = SqlPrivacyRepo(self.session)
        self.stats = SqlStatsRepo(self.session)
        self.form_drafts = SqlFormDraftRepo(self.session)
        self.retention = SqlRetentionRepo(self.session)
        self.friends = SqlFriendRequestRepo(self.session)
        self.loops = SqlLoopRepo(self.session)
        self.reports = SqlReportRepo(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.session is not None
        try:
            if exc_type is None:
                # Everything written is flushed first; then the loaded objects are let go before
                # the commit, which otherwise walks every one of them on the event loop (a
                # round loads tens of thousands: about 75 ms for 10,000, 1 ms to let them go).
                # Closing the session lets them go anyway; callers hold domain objects only.
                await self.session.flush()
                self.session.expunge_all()
                await self.session.commit()
            else:
                await self.session.rollback()
        finally:
            await self.session.close()
            self.session = None


if TYPE_CHECKING:  # mypy checks the unit of work (and each repository) against the core's port
    _SATISFIES_PORT: type[UnitOfWork] = SqlUnitOfWork


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        self.engine = create_engine(self.url, echo=echo)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions)

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration (Alembic)."""
        from bot.storage.migrate import upgrade

        await upgrade(self.engine)

    async def dispose(self) -> None:
        await self.engine.dispose()
