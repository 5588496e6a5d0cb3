"""Operator commands: ``peerloop secrets new-key|rotate``, ``peerloop db backup FILE`` and
``peerloop health`` (the container's HEALTHCHECK).

``bot/__main__.py`` adds them to its parser with :func:`add_ops_commands` and hands the
parsed arguments to :func:`run_ops_command` first.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from bot.settings import Settings

log = logging.getLogger("peerloop")

OPS_COMMANDS = ("secrets", "health")


def add_ops_commands(sub: Any, db_sub: Any) -> None:
    """Add the operator commands to ``peerloop``'s sub-parsers (``db_sub``: ``peerloop db``'s)."""
    secrets = sub.add_parser(
        "secrets", help="the keys that encrypt Slack tokens at rest (SECRETS_KEYS)"
    )
    secrets_sub = secrets.add_subparsers(dest="secrets_command", required=True)
    secrets_sub.add_parser("new-key", help="print a fresh key (put it first in SECRETS_KEYS)")
    secrets_sub.add_parser(
        "rotate", help="re-encrypt every stored Slack token with the newest key in SECRETS_KEYS"
    )
    sub.add_parser(
        "health",
        help="exit 0 when this host's PeerLoop answers /healthz (the container HEALTHCHECK)",
    )
    backup = db_sub.add_parser(
        "backup", help="copy the SQLite database to FILE, safely while PeerLoop runs"
    )
    backup.add_argument("file", help="where to write the copy (an existing file is replaced)")


def run_ops_command(args: argparse.Namespace, settings: Settings) -> int | None:
    """Run an operator command; None when ``args`` is not one."""
    if args.command == "secrets":
        if args.secrets_command == "new-key":
            from bot.storage.token_cipher import new_key

            print(new_key())
            return 0
        return asyncio.run(_rotate(settings))
    if args.command == "db" and args.db_command == "backup":
        from bot.ops.backup import backup_command

        return backup_command(settings.database_url, args.file)
    if args.command == "health":
        from bot.ops.health import check_command

        return check_command(settings)
    return None


async def _rotate(settings: Settings) -> int:
    from bot.storage.db import Database
    from bot.storage.slack_installations import rotate_tokens
    from bot.storage.token_cipher import SecretsKeyError, TokenCipher

    cipher = TokenCipher.from_setting(settings.secrets_keys)
    if not cipher.enabled:
        print(
            "SECRETS_KEYS is not set: make a key with `peerloop secrets new-key` and put it first.",
            file=sys.stderr,
        )
        return 2
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        count = await rotate_tokens(db.engine, cipher)
    except SecretsKeyError as exc:
        print(f"Nothing was changed: {exc}.", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print(
        f"Re-encrypted {count} stored Slack tokens with the newest key; older keys can now be "
        "removed from SECRETS_KEYS."
    )
    return 0


def warn_if_tokens_unencrypted(settings: Settings) -> None:
    """``peerloop run``: one warning when Slack installs keep tokens without SECRETS_KEYS."""
    if settings.slack_oauth_enabled and settings.secrets_keys is None:
        log.warning(
            "SECRETS_KEYS is not set: Slack installation tokens are stored unencrypted "
            "(see docs/operations.md, 'Secrets at rest')"
        )
