"""``peerloop`` (also ``python -m bot``): the one composition root.

Settings are read once here; nothing reads the environment or connects at import time.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger("peerloop")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="peerloop", description="PeerLoop: peer mock interviews that run themselves."
    )
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="run every configured face (Discord, Slack) and the worker until stopped"
    )
    from bot.ops.roles import add_role_flags  # --[no-]discord, --[no-]slack-http, ...

    add_role_flags(run)

    console = sub.add_parser(
        "console", help="an interactive terminal session (or a script on stdin)"
    )
    console.add_argument(
        "--database", help="database URL (default: DATABASE_URL or data/peerloop.sqlite3)"
    )
    console.add_argument(
        "--start", help="simulated start time, UTC, e.g. 2026-12-01T09:00 (default: now)"
    )
    console.add_argument(
        "--echo", action="store_true", help="echo each input line (default when not a terminal)"
    )

    demo = sub.add_parser(
        "demo", help="a scripted walk of a small community, printed as a transcript"
    )
    demo.add_argument(
        "--database", default="data/demo.sqlite3", help="SQLite file for the demo (recreated)"
    )
    demo.add_argument(
        "--out", default="data/demo", help="folder for files the demo writes (charts, invites)"
    )

    db = sub.add_parser("db", help="database tasks")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="upgrade the schema to the newest migration")
    db_sub.add_parser("current", help="print the schema revision")

    prompts = sub.add_parser("prompts", help="the question bank")
    prompts_sub = prompts.add_subparsers(dest="prompts_command", required=True)
    check = prompts_sub.add_parser("check", help="validate a prompt pack (TOML or YAML)")
    check.add_argument("file")
    lst = prompts_sub.add_parser("list", help="list the bank's prompts")
    lst.add_argument("--type", dest="type", default=None)
    lst.add_argument("--json", action="store_true", help="one JSON document instead of the table")
    show = prompts_sub.add_parser(
        "show", help="print a prompt with its interviewer guide and rubric"
    )
    show.add_argument("id")
    stats = prompts_sub.add_parser(
        "stats", help="count the bundled prompts per type, level and track"
    )
    stats.add_argument("--json", action="store_true", help="print the counts as JSON")

    bench = sub.add_parser("bench", help="benchmarks that print figures (and --json)")
    bench.add_argument("which", choices=sorted(BENCHES))
    bench.add_argument("rest", nargs=argparse.REMAINDER)

    discord_cmd = sub.add_parser("discord", help="Discord set-up helpers")
    discord_sub = discord_cmd.add_subparsers(dest="discord_command", required=True)
    invite = discord_sub.add_parser("invite-url", help="print the OAuth2 invite link")
    invite.add_argument(
        "application_id", help="your application's id (Developer Portal, General Information)"
    )
    invite.add_argument(
        "--no-voice",
        action="store_true",
        help="leave out what sessions' voice channels and scheduled events need",
    )

    slack_cmd = sub.add_parser("slack", help="Slack set-up helpers")
    slack_sub = slack_cmd.add_subparsers(dest="slack_command", required=True)
    manifest = slack_sub.add_parser("manifest", help="print the app manifest to paste into Slack")
    manifest.add_argument("--public-url", default=None, help="HTTP mode: your public base URL")

    from bot.ops.cli import add_ops_commands  # secrets, health, db backup

    add_ops_commands(sub, db_sub)
    return p


#: ``peerloop bench NAME`` -> the module of the top-level ``benchmarks`` package whose ``main(argv)``
#: runs that benchmark (imported only when asked for: the product never imports the benchmarks).
BENCHES = {
    "matching": "benchmarks.matching",
    "scheduler": "benchmarks.scheduler",
    "digest": "benchmarks.digest",
    "loop": "benchmarks.loop",
    "round": "benchmarks.round",
    "charts": "benchmarks.charts",
}


def quiet_exit(run: Callable[[], int]) -> int:
    """Run a CLI command; a closed pipe (``peerloop prompts list | head``) or Ctrl-C ends it
    quietly, without a traceback (exit codes as a shell reports them: 141, 130)."""
    try:
        code = run()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # Python flushes stdout again at exit: point it at /dev/null so that does not fail too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    return quiet_exit(lambda: _main(argv))


def _main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from bot.settings import Settings

    settings = Settings()
    from bot.logs import configure_logging

    # Text or JSON lines; no member text or token in the logs at any level (bot/logs.py).
    configure_logging(settings.log_level, settings.log_format)
    from bot.ops.cli import run_ops_command

    if (done := run_ops_command(args, settings)) is not None:
        return done

    if args.command == "console":
        return asyncio.run(
            _console(settings.database_url if not args.database else args.database, args, settings)
        )
    if args.command == "demo":
        from bot.demo import run_demo

        return asyncio.run(run_demo(Path(args.database), Path(args.out)))
    if args.command == "db":
        return asyncio.run(_db(settings.database_url, args.db_command))
    if args.command == "prompts":
        from bot.prompts import cli

        if args.prompts_command == "stats":
            return cli.cmd_stats(args.json)
        if args.prompts_command == "check":
            return cli.cmd_check(args.file)
        if args.prompts_command == "list":
            return cli.cmd_list(args.type, as_json=args.json)
        return cli.cmd_show(args.id)
    if args.command == "bench":
        import importlib

        try:
            module = importlib.import_module(BENCHES[args.which])
        except ModuleNotFoundError as exc:
            if exc.name not in ("benchmarks", BENCHES[args.which]):
                raise  # a library the benchmark needs is missing: say which
            print(f"The {args.which} benchmark is not part of this build.", file=sys.stderr)
            return 2
        return int(module.main(args.rest))
    if args.command == "discord":
        from bot.cogs.client import invite_url

        print(invite_url(args.application_id, voice=not args.no_voice))
        return 0
    if args.command == "slack":
        from bot.adapters.slack_manifest import print_manifest

        print_manifest(public_url=args.public_url)
        return 0
    if args.command == "run":
        return asyncio.run(_run(settings, args))
    return 2


async def _db(url: str, what: str) -> int:
    from bot.storage.db import Database
    from bot.storage.migrate import current_revision

    db = Database(url)
    try:
        if what == "upgrade":
            await db.upgrade()
        print(f"schema revision: {await current_revision(db.engine)}")
    finally:
        await db.dispose()
    return 0


async def _console(url: str, args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_app
    from bot.console.chat import ConsoleChat
    from bot.console.face import Console
    from bot.core.clock import FakeClock
    from bot.core.models import Platform
    from bot.ops.process import rate_limit_of

    start = datetime.now(UTC).replace(second=0, microsecond=0)
    if args.start:
        parsed = datetime.fromisoformat(args.start)
        start = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    clock = FakeClock(start)
    files = settings.data_dir / "console"
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # a line that is not valid text is read, not fatal
    chat = ConsoleChat(sys.stdout, clock, attachments_dir=files)
    app = await build_app(
        url,
        clock=clock,
        chats={Platform.CONSOLE: chat},
        rate_limit=rate_limit_of(settings),
        loop_templates_dir=settings.loop_templates_dir,
    )
    try:
        console = Console(app, clock, echo=args.echo or not sys.stdin.isatty(), chat=chat)
        console.attachments_dir = files
        await console.run(sys.stdin)
    finally:
        await app.close()
    return 0


async def _run(settings: object, args: argparse.Namespace | None = None) -> int:
    from bot.settings import Settings

    assert isinstance(settings, Settings)
    if not settings.discord_enabled and not settings.slack_enabled:
        print(
            "No face is configured: set DISCORD_TOKEN and/or SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET; see .env.example), "
            "or try `peerloop console` / `peerloop demo` locally.",
            file=sys.stderr,
        )
        return 2
    import signal

    from bot.ops.process import run_until_stopped
    from bot.ops.roles import RolesError, resolve_roles, role_flags

    try:
        roles = resolve_roles(settings, role_flags(args) if args is not None else None)
        settings.discord_shards  # noqa: B018 (checks SHARD_IDS against SHARD_COUNT)
    except (RolesError, ValueError) as exc:
        print(f"peerloop run: {exc}", file=sys.stderr)
        return 2
    from bot.ops.sentry import init_sentry

    init_sentry(settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    return await run_until_stopped(settings, roles, stopping)


if __name__ == "__main__":
    raise SystemExit(main())
