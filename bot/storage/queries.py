"""Statement helpers the repositories share: the dialect, insert-or-skip, chunked ``IN``
lists, streaming partitions, and affected-row counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert
from sqlmodel import SQLModel

#: Ids per ``IN (...)`` list: well under SQLite's bound-parameter limit.
IN_CHUNK = 2000
#: Rows turned into objects between two turns of the event loop when a large read is streamed.
STREAM_PARTITION = 500

#: Column name to value, as a row is written (values of the columns' own types).
RowValues = dict[str, Any]


def dialect_name(session: AsyncSession) -> str:
    """``"postgresql"`` or ``"sqlite"``: the database this session talks to."""
    return session.get_bind().dialect.name


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for statements over plain columns."""
    return model.metadata.tables[str(model.__tablename__)]


def chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    """``ids`` in pieces of at most :data:`IN_CHUNK`, one ``IN (...)`` list each."""
    return [ids[i : i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK)]


def insert_ignore(
    session: AsyncSession,
    table: type[Any],
    values: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    key: str | Sequence[str],
) -> Insert:
    """INSERT of one row (or several, in one statement) into ``table`` (a table model) that
    skips rows whose unique ``key`` (a column, or several) exists."""
    return insert_ignore_on(dialect_name(session), table, values, key)


def insert_ignore_on(
    dialect: str,
    table: Any,
    values: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    key: str | Sequence[str],
) -> Insert:
    """:func:`insert_ignore` for a database named by its dialect (``"postgresql"`` or
    ``"sqlite"``), when a statement runs on a connection rather than a session."""
    columns = [key] if isinstance(key, str) else list(key)
    if dialect == "postgresql":
        return pg_insert(table).values(values).on_conflict_do_nothing(index_elements=columns)
    return sqlite_insert(table).values(values).on_conflict_do_nothing(index_elements=columns)


def rowcount(result: Result[Any]) -> int:
    """Rows an INSERT, UPDATE or DELETE touched (its result is a cursor result)."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"not the result of a data-changing statement: {type(result).__name__}")
    return int(result.rowcount)
