"""Bolt middleware for running the Slack face in several processes behind a load balancer.

- :func:`with_request_id`: every request from Slack (event, command, press, form) is handled
  under a request id of its own, so its log lines can be told apart (``bot.core.log_context``);
- :func:`once_per_event`: Slack re-sends an event it thinks went unanswered, and the retry may
  reach another process: the first process to record the ``event_id`` in the database handles
  it, every other delivery is acknowledged without work (``bot.storage.slack_events``).
  Slash commands and presses are never re-sent by Slack; the state they touch is in the
  database, so consecutive ones can reach different processes;
- :func:`note_app_removed`: ``app_uninstalled``, and ``tokens_revoked`` for the bot, record the
  workspace's community as absent (nothing paired or sent there) whichever way PeerLoop runs
  (one token, or OAuth installs, where bolt's own listeners delete the installation).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.response import BoltResponse

from bot.core.incidents import report_incident
from bot.core.log_context import EVENT, INTERACTION, log_context
from bot.core.models import Platform
from bot.core.services.actor import ActorResolver
from bot.storage.slack_events import SqlSlackEventLog

log = logging.getLogger(__name__)

Middleware = Callable[..., Awaitable[Any]]


async def with_request_id(body: dict[str, Any], next: Callable[[], Awaitable[Any]]) -> Any:
    """The request's work (and the listener tasks it starts) under a fresh request id."""
    kind = EVENT if body.get("type") == "event_callback" else INTERACTION
    with log_context(kind, fresh=True):
        return await next()


def once_per_event(events: SqlSlackEventLog) -> Middleware:
    async def handle_each_event_once(
        body: dict[str, Any], next: Callable[[], Awaitable[Any]]
    ) -> Any:
        """An event is handled once, by whichever process records its ``event_id`` first."""
        event_id = body.get("event_id")
        if body.get("type") == "event_callback" and isinstance(event_id, str) and event_id:
            if not await events.first_time(event_id):
                return BoltResponse(status=200, body="")
        return await next()

    return handle_each_event_once


def removed_from(body: dict[str, Any]) -> str | None:
    """The team id of a workspace that removed PeerLoop (``app_uninstalled``, or
    ``tokens_revoked`` naming the bot's token), else ``None``."""
    event = body.get("event")
    if body.get("type") != "event_callback" or not isinstance(event, dict):
        return None
    tokens = event.get("tokens")
    revoked_bot = isinstance(tokens, dict) and bool(tokens.get("bot"))
    if event.get("type") == "app_uninstalled" or (
        event.get("type") == "tokens_revoked" and revoked_bot
    ):
        team = body.get("team_id")
        return team if isinstance(team, str) and team else None
    return None


def note_app_removed(actors: ActorResolver) -> Middleware:
    async def record_the_workspace_as_left(
        body: dict[str, Any], next: Callable[[], Awaitable[Any]]
    ) -> Any:
        """The workspace removed PeerLoop: no pairing and nothing sent there until someone
        there uses it again (a reinstall); then the listeners (bolt's, for OAuth installs)."""
        team = removed_from(body)
        if team is not None:
            try:
                await actors.mark_absent(Platform.SLACK, team, absent=True)
            except Exception as exc:  # the event is still acknowledged
                report_incident(log, exc, "recording a workspace that removed PeerLoop")
        return await next()

    return record_the_workspace_as_left
