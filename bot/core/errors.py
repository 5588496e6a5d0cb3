"""Errors that services raise and every face turns into a short, helpful reply."""

from __future__ import annotations

from collections.abc import Mapping


class PeerLoopError(Exception):
    """Base class: ``message`` is safe to show to the member who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(PeerLoopError):
    """Input was refused. Says which field, what was wrong and what is accepted."""

    def __init__(
        self, field: str, problem: str, *, accepted: str | None = None, fields: Mapping[str, str] | None = None
    ) -> None:
        text = problem if accepted is None else f"{problem} Accepted: {accepted}."
        super().__init__(text)
        self.field = field
        self.problem = problem
        self.accepted = accepted
        #: For a form: each offending input's id and what is wrong with it (faces that can
        #: show errors beside the inputs, like Slack modals, use these).
        self.fields: dict[str, str] = dict(fields or {})


class NotFound(PeerLoopError):
    pass


class PermissionDenied(PeerLoopError):
    pass


class Conflict(PeerLoopError):
    """The action clashes with what already exists (a second open request, a finished session)."""


class ProfileIncomplete(PeerLoopError):
    pass
