"""The roles of a ``peerloop run`` process (docs/operations.md, "Process roles"): which the
settings configure, which ``RUN_ROLES`` and the ``--[no-]ROLE`` flags choose, and whether they
can run. :mod:`bot.ops.process` runs them; :mod:`bot.ops.health` asks which serve HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from bot.settings import Settings

ROLE_NAMES = ("discord", "slack-http", "slack-socket", "worker")


class RolesError(ValueError):
    """The roles asked for cannot run with these settings."""


@dataclass(frozen=True)
class Roles:
    """What one process runs: the faces it serves and whether it is a worker."""

    discord: bool
    slack_http: bool
    slack_socket: bool
    worker: bool

    @property
    def faces(self) -> bool:
        """Whether the process serves any face."""
        return self.discord or self.slack_http or self.slack_socket

    def names(self) -> list[str]:
        """The roles held, as named on the command line."""
        return [f.name.replace("_", "-") for f in fields(self) if getattr(self, f.name)]


def configured_roles(settings: Settings) -> Roles:
    """Everything the settings configure: the one-process default."""
    socket = settings.slack_enabled and settings.slack_app_token is not None
    # OAuth installs need the HTTP routes (/slack/install) even in Socket Mode.
    http = settings.slack_enabled and (not socket or settings.slack_oauth_enabled)
    return Roles(
        discord=settings.discord_enabled, slack_http=http, slack_socket=socket, worker=True
    )


def resolve_roles(settings: Settings, flags: Mapping[str, bool | None] | None = None) -> Roles:
    """The roles of this process: ``RUN_ROLES`` (or everything configured), then the command
    line's ``--[no-]ROLE`` flags (``flags``: role name with ``_`` -> True/False/None)."""
    chosen = configured_roles(settings)
    if settings.run_roles is not None:
        names = {
            n.strip().lower().replace("_", "-") for n in settings.run_roles.split(",") if n.strip()
        }
        unknown = names - set(ROLE_NAMES)
        if unknown:
            raise RolesError(
                f"RUN_ROLES: unknown role {', '.join(sorted(unknown))} "
                f"(choose from {', '.join(ROLE_NAMES)})"
            )
        chosen = Roles(**{n.replace("-", "_"): n in names for n in ROLE_NAMES})
    wanted = {f.name: getattr(chosen, f.name) for f in fields(chosen)}
    for name, value in (flags or {}).items():
        if value is not None:
            wanted[name] = value
    roles = Roles(**wanted)
    if roles.discord and not settings.discord_enabled:
        raise RolesError("the discord role needs DISCORD_TOKEN")
    if (roles.slack_http or roles.slack_socket) and not settings.slack_enabled:
        raise RolesError(
            "a Slack role needs SLACK_BOT_TOKEN (or the SLACK_CLIENT_ID/SECRET of OAuth installs)"
        )
    if roles.slack_socket and settings.slack_app_token is None:
        raise RolesError("the slack-socket role needs SLACK_APP_TOKEN")
    if not roles.faces and not roles.worker:
        raise RolesError("nothing to run: every role is off")
    return roles


def add_role_flags(run: Any) -> None:
    """``--discord/--no-discord`` and the others on ``peerloop run``'s parser."""
    import argparse

    helps = {
        "discord": "the Discord gateway (its shards: SHARD_COUNT, SHARD_IDS)",
        "slack-http": "the Slack HTTP endpoint (and the OAuth install routes)",
        "slack-socket": "Slack Socket Mode",
        "worker": "the step scheduler and outbox delivery",
    }
    for name in ROLE_NAMES:
        run.add_argument(
            f"--{name}",
            dest=f"role_{name.replace('-', '_')}",
            default=None,
            action=argparse.BooleanOptionalAction,
            help=f"run {helps[name]} here",
        )


def role_flags(args: Any) -> dict[str, bool | None]:
    """The parsed ``--[no-]ROLE`` flags: role name with ``_`` -> True/False/None (not given)."""
    return {
        name.replace("-", "_"): getattr(args, f"role_{name.replace('-', '_')}", None)
        for name in ROLE_NAMES
    }
