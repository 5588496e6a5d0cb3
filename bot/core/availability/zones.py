"""The time-zone catalogue: IANA zone names, checked with suggestions for a near miss
(:func:`validate_timezone`) and offered as completions (:func:`common_timezones`)."""

from __future__ import annotations

import difflib
import re
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.core.errors import InvalidInput
from bot.core.messages import quote

TIMEZONE_ACCEPTED = "an IANA zone name such as Europe/Berlin, America/New_York, Asia/Kolkata, UTC"


# --------------------------------------------------------------------------- time zones

_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules", "posix", "right"})
_REGIONS = (
    "Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/",
    "Australia/", "Europe/", "Indian/", "Pacific/",
)  # fmt: skip


@cache
def _zone_names() -> tuple[str, ...]:
    return tuple(
        sorted(
            n
            for n in available_timezones()
            if n not in _NOT_ZONES and not n.startswith(("posix/", "right/"))
        )
    )


@cache
def _zones_by_lower() -> dict[str, str]:
    return {n.lower(): n for n in _zone_names()}


def _zone_key(text: str) -> str:
    return re.sub(r"\s+", "_", text.strip()).lower()


def validate_timezone(name: str) -> ZoneInfo:
    """The zone for an IANA name, matched case-insensitively (spaces may stand for ``_``).

    Raises ``InvalidInput("timezone", ...)`` suggesting close names when it is not one.
    """
    key = _zone_key(name)
    by_lower = _zones_by_lower()
    canonical = by_lower.get(key) or {"gmt": "GMT", "z": "UTC", "utc": "UTC"}.get(key)
    if canonical is not None:
        try:
            return ZoneInfo(canonical)
        except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - listed but unreadable
            pass
    shown = name.strip()
    if not shown:
        raise InvalidInput("timezone", "No time zone was given.", accepted=TIMEZONE_ACCEPTED)
    suggestions = _suggest_zones(key)
    hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
    raise InvalidInput(
        "timezone", f"“{quote(shown)}” is not a time zone name.{hint}", accepted=TIMEZONE_ACCEPTED
    )


def _suggest_zones(key: str) -> list[str]:
    by_lower = _zones_by_lower()
    if not key or len(key) > 60:
        return []
    # A city alone ("berlin", "new york") names exactly one zone's last part.
    tails = [n for low, n in by_lower.items() if low.rsplit("/", 1)[-1] == key]
    if tails:
        return sorted(tails, key=lambda n: (not n.startswith(_REGIONS), n))[:3]
    close = difflib.get_close_matches(key, list(by_lower), n=3, cutoff=0.75)
    if not close:
        tails_map: dict[str, str] = {}
        for low, n in by_lower.items():
            tails_map.setdefault(low.rsplit("/", 1)[-1], n)
        tail = key.rsplit("/", 1)[-1]
        close_tails = difflib.get_close_matches(tail, list(tails_map), n=3, cutoff=0.75)
        return [tails_map[t] for t in close_tails]
    return [by_lower[c] for c in close]


def common_timezones(prefix: str, limit: int = 25) -> list[str]:
    """Zone names containing ``prefix`` (case-insensitive), best first, for autocomplete.

    Order: exact name, then names starting with the text, then names with a part (city)
    starting with it, then other matches; regional names (Europe/..., America/...) before
    legacy aliases (US/Eastern, Etc/GMT+5), then alphabetical. Empty text lists all.
    """
    if limit <= 0:
        return []
    key = _zone_key(prefix)

    def rank(name: str) -> tuple[int, bool, str]:
        low = name.lower()
        if low == key:
            place = 0
        elif low.startswith(key):
            place = 1
        elif any(part.startswith(key) for part in low.split("/")[1:]):
            place = 2
        else:
            place = 3
        return place, not (name.startswith(_REGIONS) or name == "UTC"), name

    matches = [n for n in _zone_names() if key in n.lower()]
    return sorted(matches, key=rank)[:limit]
