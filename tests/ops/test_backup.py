"""``peerloop db backup FILE``: SQLite's online backup while the app has the database open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.app import App, build_app
from bot.settings import sqlite_url_for
from tests.conftest import ready_member


def members(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return sorted(row[0] for row in conn.execute("SELECT external_id FROM members"))


async def test_backup_copies_the_database_while_the_app_has_it_open(
    chat_app: App,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    source = tmp_path / "chat.sqlite3"
    monkeypatch.setenv("DATABASE_URL", sqlite_url_for(source))
    await ready_member(chat_app, "alice")
    await ready_member(chat_app, "bob")
    target = tmp_path / "backups" / "peerloop.sqlite3"
    # the app keeps its connections (WAL mode: the newest rows may still be in the -wal file)
    assert main(["db", "backup", str(target)]) == 0
    assert "Backed up" in capsys.readouterr().out
    assert members(target) == ["alice", "bob"] == members(source)
    assert not list(target.parent.glob(".*partial"))

    await ready_member(chat_app, "carol")  # a second backup replaces the first
    assert main(["db", "backup", str(target)]) == 0
    assert members(target) == ["alice", "bob", "carol"]
    restored = await build_app(sqlite_url_for(target))  # the copy is a working PeerLoop database
    try:
        async with restored.db.uow() as tx:
            assert len(await tx.communities.list()) == 1
    finally:
        await restored.close()


def test_backup_refuses_postgresql_and_names_pg_dump(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(
        "DATABASE_URL", "postgresql://peerloop:secret@db.example.internal:5432/peerloop"
    )
    assert main(["db", "backup", str(tmp_path / "x.sqlite3")]) == 2
    err = capsys.readouterr().err
    assert "pg_dump" in err and "secret" not in err
    assert not (tmp_path / "x.sqlite3").exists()


def test_backup_of_a_missing_database_says_so(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", sqlite_url_for(tmp_path / "none.sqlite3"))
    assert main(["db", "backup", str(tmp_path / "copy.sqlite3")]) == 1
    assert "there is no database at" in capsys.readouterr().err
    assert not (tmp_path / "copy.sqlite3").exists()
