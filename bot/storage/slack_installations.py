"""Slack OAuth installations and install states kept in PeerLoop's database.

:class:`SqlInstallationStore` is slack_sdk's ``AsyncInstallationStore`` and
:class:`SqlOAuthStateStore` its ``AsyncOAuthStateStore``, both on the app's async engine
(tables in :mod:`bot.storage.slack_tables`, migration 0005). Bolt saves an installation at
the end of the OAuth flow, finds the newest bot for each incoming request, and deletes
installations on ``app_uninstalled`` / ``tokens_revoked``.

Every install adds rows (the newest wins); saving the same installation again (same
workspace and install time, e.g. after a token rotation) updates it in place. Rows are
scoped by ``client_id``, so two Slack apps can share a database. Tokens (bot, user and
refresh tokens) are encrypted with ``SECRETS_KEYS`` when it is set (:mod:`bot.storage.token_cipher`;
without it they are stored as Slack issued them) and are never logged.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from bot.storage.slack_tables import SlackBotRow, SlackInstallationRow, SlackOAuthStateRow
from bot.storage.token_cipher import TokenCipher

log = logging.getLogger(__name__)

INSTALLATIONS = SlackInstallationRow.__table__  # type: ignore[attr-defined]
BOTS = SlackBotRow.__table__  # type: ignore[attr-defined]
STATES = SlackOAuthStateRow.__table__  # type: ignore[attr-defined]

BOT_FIELDS = (
    "app_id",
    "enterprise_id",
    "enterprise_name",
    "team_id",
    "team_name",
    "bot_token",
    "bot_id",
    "bot_user_id",
    "bot_scopes",
    "bot_refresh_token",
    "is_enterprise_install",
)
INSTALLATION_FIELDS = (
    *BOT_FIELDS,
    "enterprise_url",
    "user_id",
    "user_token",
    "user_scopes",
    "user_refresh_token",
    "incoming_webhook_url",
    "incoming_webhook_channel",
    "incoming_webhook_channel_id",
    "incoming_webhook_configuration_url",
    "token_type",
)
#: The columns that hold secrets: encrypted at rest when ``SECRETS_KEYS`` is set.
TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
#: What a bot token rotation changes.
ROTATING_FIELDS = ("bot_token", "bot_refresh_token", "bot_token_expires_at")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _when(timestamp: float | int | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, tz=UTC)


def _scopes(value: Any) -> str | None:
    if value is None:
        return None
    return ",".join(value) if isinstance(value, (list, tuple)) else str(value)


class SqlInstallationStore(AsyncInstallationStore):
    """Installations and bots of one Slack app (``client_id``) in PeerLoop's database."""

    def __init__(
        self, engine: AsyncEngine, client_id: str, cipher: TokenCipher | None = None
    ) -> None:
        self.engine = engine
        self.client_id = client_id
        self.cipher = cipher or TokenCipher()

    @property
    def logger(self) -> logging.Logger:
        return log

    # -- writing -------------------------------------------------------------------------------

    def _bot_values(self, bot: Bot | Installation) -> dict[str, Any]:
        values = {name: getattr(bot, name) for name in BOT_FIELDS}
        values["bot_scopes"] = _scopes(values["bot_scopes"])
        values["is_enterprise_install"] = bool(values["is_enterprise_install"])
        values["client_id"] = self.client_id
        values["bot_token_expires_at"] = _when(bot.bot_token_expires_at)
        values["installed_at"] = _when(bot.installed_at)
        return self._sealed(values)

    def _sealed(self, values: dict[str, Any]) -> dict[str, Any]:
        for name in TOKEN_FIELDS:
            if name in values:
                values[name] = self.cipher.encrypt(values[name])
        return values

    def _same_install(self, table: Any, values: Mapping[str, Any]) -> ColumnElement[bool]:
        c = table.c
        return and_(
            c.client_id == self.client_id,
            c.enterprise_id == values["enterprise_id"],
            c.team_id == values["team_id"],
            c.installed_at == values["installed_at"],
        )

    async def async_save(self, installation: Installation) -> None:
        values = self._bot_values(installation)
        values.update(
            {
                name: getattr(installation, name)
                for name in INSTALLATION_FIELDS
                if name not in BOT_FIELDS
            }
        )
        values["user_scopes"] = _scopes(values["user_scopes"])
        values["user_token_expires_at"] = _when(installation.user_token_expires_at)
        values.update(
            self._sealed({name: values[name] for name in ("user_token", "user_refresh_token")})
        )
        async with self.engine.begin() as conn:
            found = await conn.scalar(
                select(INSTALLATIONS.c.id)
                .where(
                    and_(
                        self._same_install(INSTALLATIONS, values),
                        INSTALLATIONS.c.user_id == values["user_id"],
                    )
                )
                .limit(1)
            )
            if found is None:
                await conn.execute(insert(INSTALLATIONS).values(**values))
            else:
                await conn.execute(
                    update(INSTALLATIONS).where(INSTALLATIONS.c.id == found).values(**values)
                )
        await self.async_save_bot(installation.to_bot())
        log.info(
            "Slack: stored an installation for team %s (enterprise %s)",
            installation.team_id,
            installation.enterprise_id,
        )

    async def async_save_bot(self, bot: Bot) -> None:
        """Store the bot; a bot saved again (a rotated token) also renews the bot token kept
        on its installation, so either lookup finds the live token and refresh token."""
        values = self._bot_values(bot)
        async with self.engine.begin() as conn:
            found = await conn.scalar(
                select(BOTS.c.id).where(self._same_install(BOTS, values)).limit(1)
            )
            if found is None:
                await conn.execute(insert(BOTS).values(**values))
            else:
                await conn.execute(update(BOTS).where(BOTS.c.id == found).values(**values))
                await conn.execute(
                    update(INSTALLATIONS)
                    .where(
                        and_(
                            self._same_install(INSTALLATIONS, values),
                            INSTALLATIONS.c.bot_token.is_not(None),
                        )
                    )
                    .values(**{name: values[name] for name in ROTATING_FIELDS})
                )

    # -- reading -------------------------------------------------------------------------------

    def _where(
        self, table: Any, enterprise_id: str | None, team_id: str | None
    ) -> ColumnElement[bool]:
        c = table.c
        return and_(
            c.client_id == self.client_id, c.enterprise_id == enterprise_id, c.team_id == team_id
        )

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        if is_enterprise_install or team_id is None:
            team_id = None  # an org-wide install is stored for the organisation, not a workspace
        query = (
            select(BOTS)
            .where(and_(self._where(BOTS, enterprise_id, team_id), BOTS.c.bot_token.is_not(None)))
            .order_by(BOTS.c.installed_at.desc(), BOTS.c.id.desc())
            .limit(1)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else _bot(row, self.cipher)

    async def async_find_bot_for_team(self, team_id: str) -> Bot | None:
        """The newest bot installed in workspace ``team_id`` (in any organisation): what
        PeerLoop uses for messages nobody asked for, where only the team is known."""
        query = (
            select(BOTS)
            .where(
                and_(
                    BOTS.c.client_id == self.client_id,
                    BOTS.c.team_id == team_id,
                    BOTS.c.bot_token.is_not(None),
                )
            )
            .order_by(BOTS.c.installed_at.desc(), BOTS.c.id.desc())
            .limit(1)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else _bot(row, self.cipher)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        if is_enterprise_install or team_id is None:
            team_id = None
        where = self._where(INSTALLATIONS, enterprise_id, team_id)
        if user_id is not None:
            where = and_(where, INSTALLATIONS.c.user_id == user_id)
        query = (
            select(INSTALLATIONS)
            .where(where)
            .order_by(INSTALLATIONS.c.installed_at.desc(), INSTALLATIONS.c.id.desc())
            .limit(1)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            return None
        installation = _installation(row, self.cipher)
        if user_id is not None or installation.bot_token is None:
            # a user's own (older) install, or one without a bot: take the newest bot token
            bot = await self.async_find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
            if bot is not None and bot.bot_token != installation.bot_token:
                for name in (
                    "bot_id",
                    "bot_user_id",
                    "bot_token",
                    "bot_scopes",
                    "bot_refresh_token",
                    "bot_token_expires_at",
                ):
                    setattr(installation, name, getattr(bot, name))
        return installation

    # -- deleting ------------------------------------------------------------------------------

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the workspace's bot, including the bot token kept on its installations (a
        revoked token must not come back through ``find_installation``)."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(BOTS).where(self._where(BOTS, enterprise_id, team_id)))
            await conn.execute(
                update(INSTALLATIONS)
                .where(self._where(INSTALLATIONS, enterprise_id, team_id))
                .values(
                    bot_token=None,
                    bot_id=None,
                    bot_user_id=None,
                    bot_scopes=None,
                    bot_refresh_token=None,
                    bot_token_expires_at=None,
                )
            )

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        where = self._where(INSTALLATIONS, enterprise_id, team_id)
        if user_id is not None:
            where = and_(where, INSTALLATIONS.c.user_id == user_id)
        async with self.engine.begin() as conn:
            await conn.execute(delete(INSTALLATIONS).where(where))

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)
        log.info(
            "Slack: removed the installation of team %s (enterprise %s)", team_id, enterprise_id
        )


def _opened(row: RowMapping, names: tuple[str, ...], cipher: TokenCipher) -> dict[str, Any]:
    return {
        name: cipher.decrypt(row[name]) if name in TOKEN_FIELDS else row[name] for name in names
    }


def _bot(row: RowMapping, cipher: TokenCipher) -> Bot:
    return Bot(
        **_opened(row, BOT_FIELDS, cipher),
        bot_token_expires_at=row["bot_token_expires_at"],
        installed_at=row["installed_at"],
    )


def _installation(row: RowMapping, cipher: TokenCipher) -> Installation:
    return Installation(
        **_opened(row, INSTALLATION_FIELDS, cipher),
        bot_token_expires_at=row["bot_token_expires_at"],
        user_token_expires_at=row["user_token_expires_at"],
        installed_at=row["installed_at"],
    )


async def rotate_tokens(engine: AsyncEngine, cipher: TokenCipher) -> int:
    """Re-encrypt every stored token (of every Slack app in the database) with the newest key;
    plain tokens from before keys were set are encrypted. One transaction: all or nothing.
    Returns how many tokens were written."""
    rotated = 0
    async with engine.begin() as conn:
        for table in (INSTALLATIONS, BOTS):
            columns = [table.c[name] for name in TOKEN_FIELDS if name in table.c]
            rows = (await conn.execute(select(table.c.id, *columns))).mappings().all()
            for row in rows:
                values = {
                    c.name: cipher.rotate(row[c.name]) for c in columns if row[c.name] is not None
                }
                if values:
                    await conn.execute(
                        update(table).where(table.c.id == row["id"]).values(**values)
                    )
                    rotated += len(values)
    log.info("Slack: re-encrypted %d stored tokens with the newest key", rotated)
    return rotated


class SqlOAuthStateStore(AsyncOAuthStateStore):
    """Install states: issued by ``/slack/install``, consumed once by the OAuth callback,
    refused after ``expiration_seconds``. Expired states are swept when new ones are issued."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        expiration_seconds: int = 600,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.engine = engine
        self.expiration_seconds = expiration_seconds
        self.now = now

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        now = self.now()
        async with self.engine.begin() as conn:
            await conn.execute(delete(STATES).where(STATES.c.expires_at <= now))
            await conn.execute(
                insert(STATES).values(
                    state=state, expires_at=now + timedelta(seconds=self.expiration_seconds)
                )
            )
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state that was issued and has not expired; False otherwise."""
        if not state:
            return False
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(STATES).where(
                    and_(STATES.c.state == state, STATES.c.expires_at > self.now())
                )
            )
        consumed = bool(result.rowcount == 1)
        if not consumed:
            log.info("Slack: an install state was unknown, already used or expired")
        return consumed
