"""Timers for stored steps: APScheduler 3.x behind the core's JobScheduler port."""

from bot.scheduling.runtime import SchedulerRuntime

__all__ = ["SchedulerRuntime"]
