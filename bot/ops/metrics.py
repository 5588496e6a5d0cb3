"""Prometheus metrics for ``/metrics``: the core's :class:`~bot.core.metrics.Metrics` port
implemented with prometheus-client, plus gauges read from the database when scraped.

Every instance has its own registry (tests build several apps in one process). Label values
come from fixed sets (step kinds, platforms, outcomes, command names): never user text.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from sqlalchemy import func, select
from sqlmodel import col

from bot.core.models import ActionStatus, OutboxStatus
from bot.storage.tables import OutboxRow, ScheduledActionRow

if TYPE_CHECKING:
    from bot.app import App

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LATENESS_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 6 * 3600.0)
ROUND_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
SIZE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


class PrometheusMetrics:
    """Implements the core's Metrics port; :meth:`attach` hands it to an app's services."""

    def __init__(self, registry: CollectorRegistry | None = None, *, process: bool = True) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        if process:  # CPU, memory, open files; the Python version; garbage collections
            ProcessCollector(registry=r)
            PlatformCollector(registry=r)
            GCCollector(registry=r)
        self.steps = Counter(
            "peerloop_steps",
            "Stored steps run, by kind and outcome (done, skipped, retried, failed)",
            ["kind", "outcome"],
            registry=r,
        )
        self.step_lateness = Histogram(
            "peerloop_step_lateness_seconds",
            "How long after its due time a step ran",
            ["kind"],
            buckets=LATENESS_BUCKETS,
            registry=r,
        )
        self.steps_due = Gauge(
            "peerloop_steps_due",
            "Pending steps whose due time has passed (read when scraped)",
            registry=r,
        )
        self.deliveries = Counter(
            "peerloop_outbox_deliveries",
            "Outbox items handled, by platform and outcome (sent, fallback, retry, gave_up)",
            ["platform", "outcome"],
            registry=r,
        )
        self.backlog = Gauge(
            "peerloop_outbox_backlog",
            "Outbox items waiting to be delivered (read when scraped)",
            registry=r,
        )
        self.round_duration = Histogram(
            "peerloop_round_duration_seconds",
            "Matching round duration, by kind",
            ["kind"],
            buckets=ROUND_BUCKETS,
            registry=r,
        )
        self.round_size = Histogram(
            "peerloop_round_requests",
            "Requests a matching round considered",
            ["kind"],
            buckets=SIZE_BUCKETS,
            registry=r,
        )
        self.pairs = Counter(
            "peerloop_round_pairs", "Pairs booked by matching rounds", ["kind"], registry=r
        )
        self.latency = Histogram(
            "peerloop_handler_duration_seconds",
            "Time to answer a command or action, by face, kind and name",
            ["face", "kind", "name"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.forms_opened = Counter(
            "peerloop_forms_opened",
            "Forms opened, by face and form (its action verb)",
            ["face", "form"],
            registry=r,
        )
        self.forms_submitted = Counter(
            "peerloop_forms_submitted",
            "Forms sent, by face, form and outcome (accepted; refused: something to "
            "correct; failed: an incident)",
            ["face", "form", "outcome"],
            registry=r,
        )
        self.loop_lag = Gauge(
            "peerloop_event_loop_lag_seconds",
            "How late the event loop ran a timer at the last check (a blocked loop shows here)",
            registry=r,
        )

    # -- the core's Metrics port -------------------------------------------------------------

    def step_finished(self, kind: str, outcome: str, late_seconds: float) -> None:
        self.steps.labels(kind, outcome).inc()
        self.step_lateness.labels(kind).observe(max(0.0, late_seconds))

    def delivery_finished(self, platform: str, outcome: str) -> None:
        self.deliveries.labels(platform, outcome).inc()

    def round_finished(self, kind: str, requests: int, pairs: int, seconds: float) -> None:
        self.round_duration.labels(kind).observe(seconds)
        self.round_size.labels(kind).observe(requests)
        self.pairs.labels(kind).inc(pairs)

    def handled(self, face: str, kind: str, name: str, seconds: float) -> None:
        self.latency.labels(face, kind, name).observe(seconds)

    def form_opened(self, face: str, form: str) -> None:
        self.forms_opened.labels(face, form).inc()

    def form_submitted(self, face: str, form: str, outcome: str) -> None:
        self.forms_submitted.labels(face, form, outcome).inc()

    # -- wiring and scraping -----------------------------------------------------------------

    def attach(self, app: App) -> None:
        """Count what ``app``'s step runner, delivery, matching and router do."""
        app.steps.metrics = self
        app.delivery.metrics = self
        app.matching.metrics = self
        app.router.metrics = self

    async def refresh(self, app: App) -> None:
        """Read the gauges that live in the database: the outbox backlog and the steps due."""
        now = app.clock.now()
        async with app.db.engine.connect() as conn:
            backlog = await conn.scalar(
                select(func.count())
                .select_from(OutboxRow)
                .where(col(OutboxRow.status) == OutboxStatus.PENDING.value)
            )
            due = await conn.scalar(
                select(func.count())
                .select_from(ScheduledActionRow)
                .where(
                    col(ScheduledActionRow.status) == ActionStatus.PENDING.value,
                    col(ScheduledActionRow.due_at) <= now,
                )
            )
        self.backlog.set(int(backlog or 0))
        self.steps_due.set(int(due or 0))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    async def watch_loop_lag(self, interval: float = 1.0) -> None:
        """Measure how late the loop wakes from a sleep, until cancelled."""
        while True:
            started = time.perf_counter()
            await asyncio.sleep(interval)
            self.loop_lag.set(max(0.0, time.perf_counter() - started - interval))
