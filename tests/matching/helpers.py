"""Small builders for matcher tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.matching import MatchInput, MatchRequest

NOW = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    """A start ``hours`` after NOW."""
    return NOW + timedelta(hours=hours)


EVENING = (at(18), at(18.5), at(19))


def req(rid: str, member: str | None = None, **kw: Any) -> MatchRequest:
    fields: dict[str, Any] = {
        "request_id": rid,
        "member_id": member or f"m-{rid}",
        "interview_type": "coding",
        "role": "swap",
        "track": "backend",
        "level": 1,
        "start_times": EVENING,
        "created_at": NOW,
        "languages": frozenset({"en"}),
    }
    fields.update(kw)
    return MatchRequest(**fields)


def inp(requests: Iterable[MatchRequest], **kw: Any) -> MatchInput:
    return MatchInput(requests=tuple(requests), now=NOW, **kw)


def pairs_of(result: Any) -> set[frozenset[str]]:
    return {frozenset(p.request_ids) for p in result.pairs}


def code_of(result: Any, rid: str) -> str:
    return {u.request_id: u.code for u in result.unmatched}[rid]
