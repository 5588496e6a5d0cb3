"""Slack installation tokens encrypted at rest with SECRETS_KEYS, and key rotation."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.__main__ import main
from bot.app import App
from bot.settings import Settings, sqlite_url_for
from bot.storage.slack_installations import (
    BOTS,
    INSTALLATIONS,
    TOKEN_FIELDS,
    SqlInstallationStore,
    rotate_tokens,
)
from bot.storage.token_cipher import SecretsKeyError, TokenCipher
from tests.storage.test_slack_installations import install

KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()
#: About the length of Slack's rotating tokens: encrypted, it passes the old 255-character columns.
LONG = "xoxe.xoxb-1-" + "M" * 160


def full_install(token: str = "xoxb-secret-bot") -> object:
    found = install(token=token)
    found.bot_refresh_token = "xoxe-1-secret-refresh"
    found.user_refresh_token = "xoxe-1-secret-user-refresh"
    return found


async def stored_values(app: App) -> list[str]:
    """Every token column of every row, as the database holds it."""
    values: list[str] = []
    async with app.db.engine.connect() as conn:
        for table in (INSTALLATIONS, BOTS):
            cols = [table.c[n] for n in TOKEN_FIELDS if n in table.c]
            for row in (await conn.execute(select(*cols))).all():
                values += [v for v in row if v is not None]
    return values


async def test_tokens_are_encrypted_in_the_table_and_read_back(app: App) -> None:
    store = SqlInstallationStore(app.db.engine, "client-1", TokenCipher([KEY_A]))
    await store.async_save(full_install(LONG))  # type: ignore[arg-type]

    stored = await stored_values(app)
    assert len(stored) == 2 + 4  # the bot's two tokens, the installation's four
    assert all(v.startswith("fernet:") for v in stored)
    assert not any("xox" in v for v in stored)
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert (
        bot is not None
        and bot.bot_token == LONG
        and bot.bot_refresh_token == "xoxe-1-secret-refresh"
    )
    found = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and (found.bot_token, found.user_token, found.user_refresh_token) == (
        LONG,
        "xoxp-UADMIN",
        "xoxe-1-secret-user-refresh",
    )


async def test_rotation_keeps_old_installations_readable_and_retires_the_old_key(app: App) -> None:
    await SqlInstallationStore(app.db.engine, "client-1", TokenCipher([KEY_A])).async_save(
        full_install()
    )  # type: ignore[arg-type]
    # a token stored before any key was set stays readable and is encrypted by the rotation
    await SqlInstallationStore(app.db.engine, "client-1").async_save(
        install("T2", token="xoxb-plain")
    )
    both = TokenCipher([KEY_B, KEY_A])  # the new key goes first
    assert (
        await SqlInstallationStore(app.db.engine, "client-1", both).async_find_bot_for_team("T1")
    ).bot_token == (  # type: ignore[union-attr]
        "xoxb-secret-bot"
    )

    assert (
        await rotate_tokens(app.db.engine, both) == 6 + 3
    )  # T2: its bot, its install's bot and user tokens

    only_new = SqlInstallationStore(app.db.engine, "client-1", TokenCipher([KEY_B]))
    assert (await only_new.async_find_bot_for_team("T1")).bot_token == "xoxb-secret-bot"  # type: ignore[union-attr]
    assert (await only_new.async_find_bot_for_team("T2")).bot_token == "xoxb-plain"  # type: ignore[union-attr]
    found = await only_new.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.user_refresh_token == "xoxe-1-secret-user-refresh"
    assert all(v.startswith("fernet:") for v in await stored_values(app))
    # the retired key reads nothing any more
    with pytest.raises(SecretsKeyError, match="not in SECRETS_KEYS"):
        await SqlInstallationStore(
            app.db.engine, "client-1", TokenCipher([KEY_A])
        ).async_find_bot_for_team("T1")


async def test_nothing_is_readable_without_the_key(app: App) -> None:
    await SqlInstallationStore(app.db.engine, "client-1", TokenCipher([KEY_A])).async_save(
        full_install()
    )  # type: ignore[arg-type]
    keyless = SqlInstallationStore(app.db.engine, "client-1")
    with pytest.raises(SecretsKeyError, match="SECRETS_KEYS is not set") as raised:
        await keyless.async_find_bot(enterprise_id=None, team_id="T1")
    assert "xox" not in str(raised.value)
    with pytest.raises(SecretsKeyError):
        await keyless.async_find_installation(enterprise_id=None, team_id="T1")
    with pytest.raises(SecretsKeyError, match="not in SECRETS_KEYS"):
        await SqlInstallationStore(
            app.db.engine, "client-1", TokenCipher([KEY_B])
        ).async_find_bot_for_team("T1")


async def test_without_keys_tokens_are_stored_as_before(app: App) -> None:
    store = SqlInstallationStore(app.db.engine, "client-1")
    await store.async_save(install(token="xoxb-plain"))
    assert "xoxb-plain" in await stored_values(app)
    assert (await store.async_find_bot_for_team("T1")).bot_token == "xoxb-plain"  # type: ignore[union-attr]


def test_keys_setting_is_checked() -> None:
    assert Settings(secrets_keys=f"{KEY_B}, {KEY_A}", _env_file=None).secrets_keys is not None  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="key 2 is not a Fernet key"):
        Settings(secrets_keys=f"{KEY_B},not-a-key", _env_file=None)  # type: ignore[call-arg]


def test_secrets_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    assert main(["secrets", "new-key"]) == 0
    key = capsys.readouterr().out.strip()
    Fernet(key)  # a valid key

    url = sqlite_url_for(tmp_path / "ops.sqlite3")
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["secrets", "rotate"]) == 2
    assert "SECRETS_KEYS is not set" in capsys.readouterr().err

    import asyncio

    from bot.storage.db import Database

    async def save_plain() -> None:
        db = Database(url)
        await db.upgrade()
        await SqlInstallationStore(db.engine, "client-1").async_save(install(token="xoxb-plain"))
        await db.dispose()

    asyncio.run(save_plain())
    monkeypatch.setenv("SECRETS_KEYS", key)
    assert main(["secrets", "rotate"]) == 0
    assert "Re-encrypted 3 stored Slack tokens" in capsys.readouterr().out
    monkeypatch.setenv("SECRETS_KEYS", KEY_A)  # the key the tokens were written with is gone
    assert main(["secrets", "rotate"]) == 1
    assert "Nothing was changed" in capsys.readouterr().err
