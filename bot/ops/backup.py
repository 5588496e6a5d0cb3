"""``peerloop db backup FILE``: a consistent copy of the SQLite database, safe while PeerLoop
runs (SQLite's online backup API, :meth:`sqlite3.Connection.backup`).

The copy is written next to FILE under a temporary name, checked with ``PRAGMA
quick_check`` and then moved into place, so FILE is never half-written. PostgreSQL has its
own tools: the command says to use ``pg_dump``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.storage.db import normalise_url


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL; None for another database."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise ValueError("an in-memory SQLite database has no file to back up")
    return Path(parsed.database).expanduser()


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy ``source`` to ``target`` with the online backup API; returns the copy's size."""
    if not source.is_file():
        raise FileNotFoundError(f"there is no database at {source}")
    if target.exists() and target.resolve() == source.resolve():
        raise ValueError("the backup file is the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with (
            contextlib.closing(sqlite3.connect(source)) as src,
            contextlib.closing(sqlite3.connect(partial)) as dst,
        ):
            src.execute("PRAGMA busy_timeout = 5000")
            src.backup(dst)  # one step: a consistent snapshot even while PeerLoop writes
            dst.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
            check = dst.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise RuntimeError("the copy failed SQLite's quick_check")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def backup_command(url: str, file: str) -> int:
    try:
        source = sqlite_path(url)
    except ValueError as exc:
        print(f"Cannot back up: {exc}.", file=sys.stderr)
        return 2
    if source is None:
        print(
            "`peerloop db backup` copies the embedded SQLite database. DATABASE_URL points to another "
            "database (PostgreSQL): back it up with pg_dump, e.g. "
            '`pg_dump --format=custom --file=peerloop.dump "$DATABASE_URL"` (with the postgresql:// '
            "spelling of the URL; see docs/operations.md).",
            file=sys.stderr,
        )
        return 2
    try:
        size = backup_sqlite(source, Path(file))
    except (OSError, ValueError, RuntimeError, sqlite3.Error) as exc:
        print(f"Backup failed, nothing was written to {file}: {exc}", file=sys.stderr)
        return 1
    print(f"Backed up {source} to {file} ({size} bytes).")
    return 0
