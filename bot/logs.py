"""Logging for the ``peerloop`` process: PeerLoop's own loggers at the configured level, and
the libraries that log payloads (statements with their parameters, gateway events, API request
bodies: what members wrote, and tokens) never below what keeps those out.

PeerLoop's own log lines name ids, keys and exception types, never member text; unexpected
exceptions are logged once as incidents (``bot.core.incidents``) without their message.
"""

from __future__ import annotations

import logging

from bot.ops.logs import TEXT_FORMAT, JsonFormatter
from bot.storage.db import quiet_statement_loggers

#: Library loggers that write payloads at DEBUG (Discord gateway events and HTTP bodies, Slack
#: request bodies, websocket frames): kept at INFO or above whatever ``LOG_LEVEL`` says.
PAYLOAD_LOGGERS = (
    "discord",
    "slack_bolt",
    "slack_sdk",
    "websockets",
    "aiohttp",
    "httpx",
    "httpcore",
    "asyncio",
)
#: Chatty but harmless at INFO: every migration step, every scheduler sweep.
QUIET_LOGGERS = ("alembic", "apscheduler")
#: PeerLoop's own loggers (``bot.*`` modules and the process's ``peerloop``).
OWN_LOGGERS = ("bot", "peerloop")


def configure_logging(level: str | int, fmt: str = "text") -> None:
    """The root logger: plain text lines, or JSON lines (``fmt="json"``, see ``bot.ops.logs``);
    then the payload, chatty and statement loggers held where they keep member text out."""
    if fmt == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=level, handlers=[handler], force=True)
    else:
        logging.basicConfig(level=level, format=TEXT_FORMAT)
    root = logging.getLogger().getEffectiveLevel()
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(root)
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(max(root, logging.INFO))
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    quiet_statement_loggers()
