"""Large reads are streamed in partitions: the event loop gets its turn between pieces."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from benchmarks import round as round_bench
from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.models import Platform
from bot.storage import queries, request_repo


async def test_open_requests_become_objects_a_partition_at_a_time(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app: App = await build_app(database_url, clock=FakeClock(round_bench.NOW))
    try:
        actor = await app.actors.resolve(
            Platform.CONSOLE, "bench", "Bench community", "owner", "Owner"
        )
        await round_bench.fill(app, actor.community.id, 400, 200, 300)
        monkeypatch.setattr(queries, "STREAM_PARTITION", 50)
        turns = 0
        stop = asyncio.Event()

        async def ticker() -> None:  # counts the loop's turns while the read runs
            nonlocal turns
            while not stop.is_set():
                turns += 1
                await asyncio.sleep(0)

        seen: list[int] = []  # the loop's turn at each row's conversion
        convert: Callable[[Any], Any] = request_repo.request_from_row

        def counted(row: Any) -> Any:
            seen.append(turns)
            return convert(row)

        monkeypatch.setattr(request_repo, "request_from_row", counted)
        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        async with app.db.uow() as tx:
            open_requests = await tx.requests.list_open(actor.community.id)
        stop.set()
        await task
        assert len(open_requests) == len(seen) == 300
        assert [r.created_at for r in open_requests] == sorted(r.created_at for r in open_requests)
        # Without streaming every row is converted in one turn; here at most a partition is.
        assert max(seen.count(t) for t in set(seen)) <= 50 and len(set(seen)) >= 6
    finally:
        await app.close()
