"""User-facing phrases shared by every face (the help texts are built from the command
declarations, :mod:`bot.core.surface.commands`)."""

from __future__ import annotations

from bot.core.vocab import DEFAULT_TRACKS, InterviewType, Level, RolePreference

AVAILABILITY_EXAMPLE = "weekdays 18:00-21:00, sat 10-14"


def accepted_levels() -> str:
    """The levels, as a refusal's ``Accepted:`` list."""
    return ", ".join(level.value for level in Level)


def accepted_types() -> str:
    """The interview types, as a refusal's ``Accepted:`` list."""
    return ", ".join(t.value for t in InterviewType)


def accepted_roles() -> str:
    """The role preferences, as a refusal's ``Accepted:`` list."""
    return ", ".join(r.value for r in RolePreference)


def accepted_tracks(extra: dict[str, str] | None = None) -> str:
    """The built-in tracks and ``extra`` (a community's own), as a refusal's ``Accepted:`` list."""
    return ", ".join({**DEFAULT_TRACKS, **(extra or {})})
