"""A matching round's pairing and prompt history, put together off the event loop.

A large round reads tens of thousands of grouped pairings and most of the community's
sessions. Decoding each row as it arrives (a JSON list and a timestamp per session) held the
event loop for tens of milliseconds per piece; so the columns are read raw (:func:`raw`: no
result processing), the rows only collected on the loop, and decoded and added up here, on a
thread (``asyncio.to_thread`` in ``SqlSessionRepo``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from bot.core.models import PairingHistory, PromptHistory

#: From this many members on, a round's prompt history reads the community's sessions once
#: instead of once per piece of members (each piece a scan of the sessions either side).
WHOLE_COMMUNITY_READ = 1000


def raw(column: Any) -> ColumnElement[str]:
    """The column as the driver returns it: no JSON or timestamp decoding per row on the loop
    (the same SQL; SQLite gives text, PostgreSQL's driver its own values)."""
    return type_coerce(column, String)


def when(value: object) -> datetime:
    """A stored time as an aware UTC datetime (SQLite: text without a zone; PostgreSQL: aware)."""
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def prompt_ids(value: object) -> list[str]:
    """A stored prompt list (JSON text, or already a list)."""
    if value is None:
        return []
    items: Any = json.loads(value) if isinstance(value, (str, bytes)) else value
    return [str(p) for p in items or ()]


def pairing_from_rows(
    met: Iterable[tuple[Any, ...]], second: Iterable[tuple[Any, ...]], wanted: set[str]
) -> PairingHistory:
    """``met``: (interviewer, candidate, swap, count, last start) grouped; ``second``:
    (candidate, swap, count) grouped; both for sessions where a wanted member took that part."""
    last_met: dict[frozenset[str], datetime] = {}
    given: dict[str, int] = {}
    taken: dict[str, int] = {}
    for first, other, swap, count, last in met:
        given[first] = given.get(first, 0) + count
        if swap:
            taken[first] = taken.get(first, 0) + count
        if other in wanted:
            key = frozenset((first, other))
            moment = when(last)
            last_met[key] = max(last_met.get(key, moment), moment)
    for other, swap, count in second:
        taken[other] = taken.get(other, 0) + count
        if swap:
            given[other] = given.get(other, 0) + count
    return PairingHistory(last_met=last_met, given=given, taken=taken)


def prompts_from_rows(rows: Iterable[tuple[Any, ...]], wanted: set[str]) -> PromptHistory:
    """(session id, interviewer, candidate, prompt list, start) rows, a session possibly more
    than once: which prompts each wanted member saw, per role, and when last."""
    as_candidate: dict[str, dict[str, datetime]] = {}
    as_interviewer: dict[str, dict[str, datetime]] = {}
    done: set[str] = set()
    for sid, first, second, prompts, start in rows:
        if sid in done or (first not in wanted and second not in wanted):
            continue
        done.add(sid)
        moment = when(start)
        for part, pid in enumerate(prompt_ids(prompts)):
            candidate, interviewer = (second, first) if part == 0 else (first, second)
            for member, seen in ((candidate, as_candidate), (interviewer, as_interviewer)):
                if member in wanted:
                    mine = seen.setdefault(member, {})
                    mine[pid] = max(mine.get(pid, moment), moment)
    return PromptHistory(as_candidate=as_candidate, as_interviewer=as_interviewer)


__all__ = [
    "WHOLE_COMMUNITY_READ",
    "pairing_from_rows",
    "prompt_ids",
    "prompts_from_rows",
    "raw",
    "when",
]
