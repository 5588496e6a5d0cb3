"""Errors that services raise and every face turns into a short, helpful reply."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.messages import MAX_FIELD_VALUE, MAX_REFUSAL, clip


class PeerLoopError(Exception):
    """Base class: ``message`` is safe to show to the member who caused it.

    However much of a member's input a message repeats, it is clipped to
    :data:`~bot.core.messages.MAX_REFUSAL` characters, so every refusal fits in a reply.
    """

    def __init__(self, message: str) -> None:
        message = clip(message, MAX_REFUSAL)
        super().__init__(message)
        self.message = message


class InvalidInput(PeerLoopError):
    """Input was refused. Says which field, what was wrong and what is accepted."""

    def __init__(
        self,
        field: str,
        problem: str,
        *,
        accepted: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        problem = clip(problem, MAX_REFUSAL // 2)
        text = (
            problem
            if accepted is None
            else f"{problem} Accepted: {clip(accepted, MAX_REFUSAL // 2)}."
        )
        super().__init__(text)
        self.field = field
        self.problem = problem
        self.accepted = accepted
        #: For a form: each offending input's id and what is wrong with it (faces that can
        #: show errors beside the inputs, like Slack modals, use these).
        self.fields: dict[str, str] = {
            k: clip(v, MAX_FIELD_VALUE) for k, v in (fields or {}).items()
        }


class NotFound(PeerLoopError):
    """What was asked for does not exist (or is not the member's to see)."""


class PermissionDenied(PeerLoopError):
    """The member may not do this (an admin command, someone else's session)."""


class Conflict(PeerLoopError):
    """The action clashes with what already exists (a second open request, a finished session)."""


class ProfileIncomplete(PeerLoopError):
    """The member's profile lacks what the command needs (time zone, track, level, types)."""
