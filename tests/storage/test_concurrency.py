"""Simultaneous first contact and simultaneous starts, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.app import App
from bot.core.models import Platform
from bot.storage.db import create_engine
from bot.storage.tables import CommunityRow, MemberRow
from tests.conftest import PG_ENV, postgres_url

REPO = Path(__file__).resolve().parents[2]


async def _count(app: App, stmt: object) -> int:
    async with app.db.engine.connect() as conn:
        return int((await conn.execute(stmt)).scalar_one())  # type: ignore[call-overload]


async def test_fifty_first_requests_from_a_new_community_all_succeed(app: App) -> None:
    resolve = app.actors.resolve
    actors = await asyncio.gather(
        *(
            resolve(Platform.SLACK, "T-NEW", "New workspace", f"U{i:03}", f"Member {i}")
            for i in range(50)
        )
    )
    assert len({a.community.id for a in actors}) == 1
    assert len({a.member.id for a in actors}) == 50
    assert await _count(app, select(func.count()).select_from(CommunityRow)) == 1
    assert await _count(app, select(func.count()).select_from(MemberRow)) == 50


async def test_fifty_first_requests_from_the_same_member_all_succeed(app: App) -> None:
    resolve = app.actors.resolve
    actors = await asyncio.gather(
        *(
            resolve(Platform.SLACK, "T-ONE", "One workspace", "U-SAME", "Same member")
            for _ in range(50)
        )
    )
    assert len({a.member.id for a in actors}) == 1
    assert len({a.community.id for a in actors}) == 1
    assert await _count(app, select(func.count()).select_from(CommunityRow)) == 1
    assert await _count(app, select(func.count()).select_from(MemberRow)) == 1


PROCESSES = 4


def _start_together(url: str, cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    """``peerloop db upgrade`` (the schema step every start runs) in N processes at once."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(REPO), "LOG_LEVEL": "WARNING"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "db", "upgrade"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def _assert_all_came_up(results: list[subprocess.CompletedProcess[str]]) -> None:
    heads = {r.stdout.strip() for r in results}
    assert [r.returncode for r in results] == [0] * PROCESSES, [r.stderr[-2000:] for r in results]
    assert len(heads) == 1 and "schema revision: " in heads.pop()


def test_processes_starting_together_on_a_fresh_sqlite_file_all_come_up(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"
    _assert_all_came_up(_start_together(url, tmp_path))


async def test_processes_starting_together_on_a_fresh_postgres_database_all_come_up(
    tmp_path: Path,
) -> None:
    base = postgres_url()
    if base is None:
        pytest.skip(f"PostgreSQL tests skipped: {PG_ENV} is not set")
    fresh = f"peerloop_start_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{fresh}"'))
        url = make_url(base).set(database=fresh).render_as_string(hide_password=False)
        _assert_all_came_up(await asyncio.to_thread(_start_together, url, tmp_path))
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)'))
        await admin.dispose()


async def test_a_connection_opens_while_another_holds_a_fresh_file_locked(tmp_path: Path) -> None:
    """Switching a fresh file to WAL is refused ("locked") while another connection holds it;
    the connection still opens and works once the other lets go, and the file ends in WAL."""
    import sqlite3

    from bot.storage.db import create_engine as create_app_engine

    path = tmp_path / "fresh.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    engine = create_app_engine(f"sqlite+aiosqlite:///{path}")
    try:
        conn = await engine.connect()  # raised "database is locked" before
        holder.execute("INSERT INTO t VALUES (1)")
        holder.execute("COMMIT")
        assert (await conn.exec_driver_sql("SELECT count(*) FROM t")).scalar() == 1
        await conn.close()
        await engine.dispose()
        async with engine.connect() as again:
            assert (await again.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        holder.close()
        await engine.dispose()
