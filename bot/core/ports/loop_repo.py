"""The loop repository port: a member's mock loops, their rounds' requests and partners."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.loop_models import Loop
from bot.core.models import InterviewRequest


class LoopRepo(Protocol):
    """Mock loops (``loops``; rounds are requests carrying ``loop_id``)."""

    async def add(self, loop: Loop) -> None:
        """Store a new loop."""
        ...

    async def get(self, loop_id: str, *, for_update: bool = False) -> Loop | None:
        """One loop (locked for the transaction with ``for_update``), or None."""
        ...

    async def save(self, loop: Loop) -> None:
        """Update the loop's row."""
        ...

    async def for_member(self, member_id: str) -> list[Loop]:
        """The member's loops, newest first."""
        ...

    async def requests(self, loop_id: str) -> list[InterviewRequest]:
        """Every request of the loop's rounds (rematches included), oldest first."""
        ...

    async def partners(self, loop_ids: Sequence[str]) -> list[tuple[str, str, str]]:
        """(loop, interviewer, candidate) of the sessions booked for the loops' rounds and not
        cancelled."""
        ...

    async def debriefed_between(
        self, community_id: str, since: datetime, until: datetime
    ) -> list[Loop]:
        """The community's loops debriefed in (``since``, ``until``]."""
        ...
