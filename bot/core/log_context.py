"""What a log line is about: a request id per interaction, event, step or delivery, and the
community's and member's internal ids, kept in a context variable while it is handled.

Set where the work starts (:class:`~bot.core.commands.CommandRouter` for commands and presses,
the step runner per step, the delivery worker per outbox item, the Slack face per event) and
read by the log formatter (``bot.ops.logs``), so every line written meanwhile carries them,
whichever module writes it: the tasks and threads the work starts copy the context. Only
generated ids go in here, never anything a member wrote.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

_CONTEXT: ContextVar[Mapping[str, str] | None] = ContextVar("peerloop_log_context", default=None)
_NONE: Mapping[str, str] = MappingProxyType({})

#: What a request id starts with, by where the work came from.
INTERACTION, EVENT, STEP, DELIVERY = "i", "e", "s", "d"


def new_request_id(kind: str) -> str:
    """``<kind>-`` and twelve random hex digits, e.g. ``s-4f1c9a0b7d2e``."""
    return f"{kind}-{secrets.token_hex(6)}"


def current() -> Mapping[str, str]:
    """The fields of the work being handled here (``request``, ``community``, ``member``)."""
    return _CONTEXT.get() or _NONE


@contextmanager
def log_context(
    kind: str, *, community: str | None = None, member: str | None = None, fresh: bool = False
) -> Iterator[str]:
    """Handle one piece of work under a request id (yielded). Inside work that already has
    one (a command run by a Slack event's listener) the id stays, unless ``fresh``: each step
    or delivery of a worker's sweep is its own."""
    outer = {} if fresh else dict(current())
    request = outer.get("request") or new_request_id(kind)
    token = _CONTEXT.set({**outer, "request": request, **_ids(community=community, member=member)})
    try:
        yield request
    finally:
        _CONTEXT.reset(token)


def bind(*, community: str | None = None, member: str | None = None) -> None:
    """Add what became known during the work (the community of a claimed step) until the
    enclosing :func:`log_context` ends."""
    _CONTEXT.set({**current(), **_ids(community=community, member=member)})


def _ids(**ids: str | None) -> dict[str, str]:
    return {name: value for name, value in ids.items() if value}
