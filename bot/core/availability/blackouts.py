"""Blackout dates as members write them (``2026-12-24, 2026-12-27..2026-12-31``):
:func:`parse_blackouts` reads them, :func:`format_blackouts` writes the compact form back."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta

from bot.core.errors import InvalidInput
from bot.core.messages import quote

MAX_BLACKOUT_DAYS = 366
MAX_BLACKOUT_TEXT_LENGTH = 5000
BLACKOUTS_ACCEPTED = (
    "dates as YYYY-MM-DD separated by commas, and ranges with “..”, "
    "such as “2026-12-24, 2026-12-27..2026-12-31”"
)


_DATE_TOKEN = re.compile(r"\d{4}-\d{2}-\d{2}")


def _bad_blackout(problem: str) -> InvalidInput:
    return InvalidInput("blackouts", problem, accepted=BLACKOUTS_ACCEPTED)


def _read_date(token: str) -> date:
    if not _DATE_TOKEN.fullmatch(token):
        raise _bad_blackout(f"“{quote(token)}” is not a date written as YYYY-MM-DD.")
    try:
        return date.fromisoformat(token)
    except ValueError:
        raise _bad_blackout(f"“{quote(token)}” is not a real date.") from None


def parse_blackouts(text: str) -> tuple[date, ...]:
    """Dates the member is away, in their own time zone: ``2026-12-24, 2026-12-27..2026-12-31``.

    Separators: commas, semicolons, new lines or spaces; ``a..b`` includes both ends.
    Returns sorted unique dates; empty text means no blackout dates. At most 366 days.
    """
    if len(text) > MAX_BLACKOUT_TEXT_LENGTH:
        raise _bad_blackout(
            f"That is {len(text)} characters; keep it to {MAX_BLACKOUT_TEXT_LENGTH} or fewer."
        )
    norm = re.sub(r"\s*\.\.\s*", "..", text.strip())
    days: set[date] = set()
    for token in re.split(r"[,;\s]+", norm):
        if not token:
            continue
        if ".." in token:
            ends = token.split("..")
            if len(ends) != 2 or not all(ends):
                raise _bad_blackout(
                    f"“{quote(token)}” is not a range such as 2026-12-27..2026-12-31."
                )
            first, last = _read_date(ends[0]), _read_date(ends[1])
            if last < first:
                raise _bad_blackout(f"“{quote(token)}” ends before it starts.")
            span = (last - first).days + 1
            if span > MAX_BLACKOUT_DAYS:
                raise _bad_blackout(
                    f"“{quote(token)}” covers {span} days; at most {MAX_BLACKOUT_DAYS} in all."
                )
            days.update(first + timedelta(days=i) for i in range(span))
        else:
            days.add(_read_date(token))
        if len(days) > MAX_BLACKOUT_DAYS:
            raise _bad_blackout(
                f"That is more than {MAX_BLACKOUT_DAYS} days away; shorten the list."
            )
    return tuple(sorted(days))


def format_blackouts(dates: Iterable[date]) -> str:
    """Compact form that ``parse_blackouts`` reads back: consecutive days become ``a..b``."""
    runs: list[list[date]] = []
    for d in sorted(set(dates)):
        if runs and runs[-1][1] + timedelta(days=1) == d:
            runs[-1][1] = d
        else:
            runs.append([d, d])
    return ", ".join(
        a.isoformat() if a == b else f"{a.isoformat()}..{b.isoformat()}" for a, b in runs
    )
