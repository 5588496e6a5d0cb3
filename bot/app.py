"""The composition root's building blocks: one place that wires storage, services and faces.

``bot/__main__.py`` reads settings once and calls :func:`build_app`; tests build the
same object on a temporary database with a fake clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.clock import Clock, SystemClock
from bot.core.commands import CommandRouter
from bot.core.services.actor import ActorResolver
from bot.core.services.profiles import ProfileService
from bot.core.services.requests import RequestService
from bot.storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class App:
    db: Database
    clock: Clock
    actors: ActorResolver
    profiles: ProfileService
    requests: RequestService
    router: CommandRouter

    async def close(self) -> None:
        await self.db.dispose()


async def build_app(database_url: str, *, clock: Clock | None = None, upgrade: bool = True) -> App:
    db = Database(database_url)
    if upgrade:
        await db.upgrade()
    clock = clock or SystemClock()
    profiles = ProfileService(db.uow, clock)
    requests = RequestService(db.uow, clock)
    return App(
        db=db,
        clock=clock,
        actors=ActorResolver(db.uow, clock),
        profiles=profiles,
        requests=requests,
        router=CommandRouter(profiles, requests),
    )
