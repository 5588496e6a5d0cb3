"""Bolt middleware for running the Slack face in several processes behind a load balancer.

- :func:`with_request_id`: every request from Slack (event, command, press, form) is handled
  under a request id of its own, so its log lines can be told apart (``bot.core.log_context``);
- :func:`once_per_event`: Slack re-sends an event it thinks went unanswered, and the retry may
  reach another process: the first process to record the ``event_id`` in the database handles
  it, every other delivery is acknowledged without work (``bot.storage.slack_events``).
  Slash commands and presses are never re-sent by Slack; the state they touch is in the
  database, so consecutive ones can reach different processes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.response import BoltResponse

from bot.core.log_context import EVENT, INTERACTION, log_context
from bot.storage.slack_events import SqlSlackEventLog

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
