"""Settings, read once by the composition root from the environment and ``.env``.

Tokens are :class:`SecretStr`: never printed or logged. A face whose token is absent
is simply not started.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/peerloop.sqlite3"


class Settings(BaseSettings):
    # empty values (as in a copied .env.example) mean "not set"
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    database_url: str = Field(
        DEFAULT_DATABASE_URL, description="SQLite file (default) or postgresql+asyncpg://…"
    )
    log_level: str = "INFO"
    #: ``text`` (default) or ``json``: one JSON object per line, user-written text scrubbed.
    log_format: Literal["text", "json"] = "text"
    default_timezone: str = "UTC"
    #: Where local files go (the console's saved attachments under ``console/``).
    data_dir: Path = Path("data")
    #: Per-member limits on commands and presses: this many at once, then this many a second
    #: (``RATE_LIMIT_BURST=0`` turns the limit off).
    rate_limit_burst: int = Field(20, ge=0)
    rate_limit_per_second: float = Field(1.0, gt=0)

    discord_token: SecretStr | None = None
    discord_api_base_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg"
    discord_dev_guild_id: int | None = None

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_api_base_url: str = "https://slack.com/api/"
    slack_http_port: int = 3000
    slack_admin_group: str | None = None
    #: Slack's authorize page for OAuth installs (GovSlack and proxies use another).
    slack_oauth_authorize_url: str = "https://slack.com/oauth/v2/authorize"
    #: The OAuth redirect URL, when the app lists several (else Slack uses the only one).
    slack_redirect_uri: str | None = None
    #: OAuth installs of an app with token rotation on: a workspace's bot token is refreshed
    #: (``oauth.v2.access``, ``grant_type=refresh_token``) when it expires within this many minutes.
    slack_token_rotation_minutes: int = 120

    #: Fernet keys that encrypt Slack installation tokens at rest, comma-separated, newest
    #: first (`peerloop secrets new-key`; docs/operations.md). Unset: tokens are stored plain.
    secrets_keys: SecretStr | None = None
    #: The /healthz and /metrics endpoint (served on SLACK_HTTP_PORT when Slack runs in HTTP mode).
    health_host: str = "0.0.0.0"
    health_port: int = 8080

    #: What this process runs (docs/operations.md, "Process roles"): a comma-separated subset
    #: of discord, slack-http, slack-socket, worker. Unset: every configured face and the worker.
    run_roles: str | None = None
    #: Discord sharding: the application's total shard count, and the shards this process
    #: connects (comma-separated ids; default all of them). Unset: one unsharded connection.
    shard_count: int | None = Field(None, ge=1)
    shard_ids: str | None = None
    #: Finished steps, sent messages and round records older than this many days are deleted
    #: by a daily step; 0 keeps everything.
    retention_days: int = Field(90, ge=0)
    #: A directory of the community's own mock loop templates (``*.yaml``, docs/loops.md),
    #: offered next to the bundled ones; unset: the bundled ones only.
    loop_templates_dir: Path | None = None
    #: Error reporting to Sentry (needs the ``sentry`` extra); unset: off.
    sentry_dsn: SecretStr | None = None
    sentry_environment: str | None = None

    @field_validator("secrets_keys")
    @classmethod
    def _keys(cls, value: SecretStr | None) -> SecretStr | None:
        from bot.storage.token_cipher import parse_keys

        parse_keys(value.get_secret_value() if value is not None else None)
        return value

    @field_validator("shard_ids")
    @classmethod
    def _shards(cls, value: str | None) -> str | None:
        if value is not None and not all(
            part.strip().isascii() and part.strip().isdigit() for part in value.split(",")
        ):
            raise ValueError("SHARD_IDS must be comma-separated shard numbers such as 0,1")
        return value

    @property
    def discord_shards(self) -> tuple[int, list[int]] | None:
        """(shard count, the shard ids this process connects), or None when not sharded."""
        if self.shard_count is None:
            if self.shard_ids is not None:
                raise ValueError("SHARD_IDS needs SHARD_COUNT")
            return None
        ids = (
            sorted({int(p) for p in self.shard_ids.split(",")})
            if self.shard_ids
            else list(range(self.shard_count))
        )
        if any(i >= self.shard_count for i in ids):
            raise ValueError(f"SHARD_IDS must be below SHARD_COUNT ({self.shard_count})")
        return self.shard_count, ids

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"DEFAULT_TIMEZONE {value!r} is not an IANA zone such as Europe/Berlin"
            ) from None
        return value

    @property
    def discord_enabled(self) -> bool:
        return self.discord_token is not None

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None or self.slack_oauth_enabled

    @property
    def slack_oauth_enabled(self) -> bool:
        """Installs in many workspaces through OAuth (both client settings set)."""
        return self.slack_client_id is not None and self.slack_client_secret is not None

    def describe(self) -> dict[str, str]:
        """A loggable summary: secrets appear only as set / not set."""
        return {
            "database": _redact_url(self.database_url),
            "discord": "configured" if self.discord_enabled else "not configured",
            "slack": "configured" if self.slack_enabled else "not configured",
            "log_level": self.log_level,
        }


def _redact_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def sqlite_url_for(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"
