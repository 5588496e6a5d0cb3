"""User-facing phrases shared by every face (the help texts are built from the command
declarations, :mod:`bot.core.surface.commands`)."""

from __future__ import annotations

AVAILABILITY_EXAMPLE = "weekdays 18:00-21:00, sat 10-14"
