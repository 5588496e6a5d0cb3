"""The metrics port: what the core reports about its work, whoever counts it.

The core calls these at its central points (a step finished, an outbox item delivered or
not, a matching round ran, a command or action answered); :mod:`bot.ops.metrics` implements
them with prometheus-client. The default, :data:`NO_METRICS`, counts nothing. Labels are
names from a small fixed set (step kinds, platforms, command names), never user text.
"""

from __future__ import annotations

from typing import Protocol


class Metrics(Protocol):
    """The metrics port: what the core counts (steps, deliveries, rounds, handled commands);
    ``bot/ops/metrics.py`` exports them."""

    def step_finished(self, kind: str, outcome: str, late_seconds: float) -> None:
        """A stored step ran: ``outcome`` is done, skipped, retried or failed; ``late_seconds``
        how long after its due time it ran."""
        ...

    def delivery_finished(self, platform: str, outcome: str) -> None:
        """An outbox item was handled: sent, fallback (posted in the shared space), retry or gave_up."""
        ...

    def round_finished(self, kind: str, requests: int, pairs: int, seconds: float) -> None:
        """A matching round (``kind``: scheduled or live) considered ``requests`` and booked ``pairs``."""
        ...

    def handled(self, face: str, kind: str, name: str, seconds: float) -> None:
        """A command or action (``kind``) called ``name`` was answered on ``face`` in ``seconds``."""
        ...

    def form_opened(self, face: str, form: str) -> None:
        """A form (``form``: its action verb, e.g. ``feedback.submit``) was opened on ``face``."""
        ...

    def form_submitted(self, face: str, form: str, outcome: str) -> None:
        """A form was sent on ``face``: ``outcome`` is accepted, refused (something to
        correct) or failed (an unexpected error, reported as an incident)."""
        ...


class NoMetrics:
    """Counts nothing (the default)."""

    def step_finished(self, kind: str, outcome: str, late_seconds: float) -> None:
        """Count nothing."""

    def delivery_finished(self, platform: str, outcome: str) -> None:
        """Count nothing."""

    def round_finished(self, kind: str, requests: int, pairs: int, seconds: float) -> None:
        """Count nothing."""

    def handled(self, face: str, kind: str, name: str, seconds: float) -> None:
        """Count nothing."""

    def form_opened(self, face: str, form: str) -> None:
        """Count nothing."""

    def form_submitted(self, face: str, form: str, outcome: str) -> None:
        """Count nothing."""


NO_METRICS: Metrics = NoMetrics()
