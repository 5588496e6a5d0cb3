"""The community the matching benchmark matches: a realistic, seeded ``MatchInput``.

Tracks, levels, members spread over the world's time zones with evening-heavy local
availability converted to UTC starts over the next 7 days, past pairings, a few blocks and
reliability dips, some members with two open requests (``generate``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.matching.model import MatchInput, MatchRequest, pair_key

NOW = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)  # a Monday

# Share of members per UTC offset (hours): the Americas, Europe, India, East Asia, Oceania.
TIME_ZONES: tuple[tuple[float, float], ...] = (
    (-8, 0.10),
    (-7, 0.03),
    (-6, 0.06),
    (-5, 0.14),
    (-3, 0.05),
    (0, 0.07),
    (1, 0.16),
    (2, 0.06),
    (3, 0.04),
    (5.5, 0.12),
    (7, 0.03),
    (8, 0.07),
    (9, 0.04),
    (10, 0.03),
)
TRACKS: tuple[tuple[str, float], ...] = (
    ("backend", 0.24),
    ("frontend", 0.13),
    ("full-stack", 0.14),
    ("mobile", 0.06),
    ("ml", 0.08),
    ("data-science", 0.08),
    ("data-engineering", 0.07),
    ("sre", 0.08),
    ("security", 0.04),
    ("engineering-management", 0.08),
)
_SWE = (("coding", 0.5), ("system-design", 0.35), ("behavioral", 0.15))
TYPES_BY_TRACK: dict[str, tuple[tuple[str, float], ...]] = {
    "backend": _SWE,
    "frontend": _SWE,
    "full-stack": _SWE,
    "mobile": _SWE,
    "ml": (
        ("ml-system-design", 0.35),
        ("ml-fundamentals", 0.35),
        ("coding", 0.2),
        ("behavioral", 0.1),
    ),
    "data-science": (
        ("stats-product", 0.4),
        ("sql-data-modelling", 0.3),
        ("ml-fundamentals", 0.2),
        ("behavioral", 0.1),
    ),
    "data-engineering": (
        ("sql-data-modelling", 0.35),
        ("coding", 0.3),
        ("system-design", 0.25),
        ("behavioral", 0.1),
    ),
    "sre": (("sre-troubleshooting", 0.5), ("system-design", 0.3), ("coding", 0.2)),
    "security": (
        ("coding", 0.3),
        ("system-design", 0.3),
        ("behavioral", 0.2),
        ("sre-troubleshooting", 0.2),
    ),
    "engineering-management": (("behavioral", 0.6), ("system-design", 0.4)),
}
NEIGHBOURS: dict[str, frozenset[str]] = {
    "backend": frozenset({"full-stack", "sre", "data-engineering"}),
    "frontend": frozenset({"full-stack", "mobile"}),
    "ml": frozenset({"data-science", "data-engineering"}),
    "data-science": frozenset({"data-engineering"}),
    "sre": frozenset({"security"}),
}
LOCAL_LANGUAGE = {-3: "pt", -6: "es", 1: "de", 2: "fr", 5.5: "hi", 8: "zh", 9: "ja"}


def _pick(rng: random.Random, table: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _starts(rng: random.Random, offset: float, cache: dict[int, datetime]) -> tuple[datetime, ...]:
    """Evening-heavy weekly availability in local time -> UTC starts of 60-min sessions."""
    windows: list[tuple[int, int]] = []  # (local day 0..6 from Monday, start minute, length)
    for day in rng.sample(range(5), rng.randint(2, 4)):  # weekday evenings
        start = 18 * 60 + 30 * rng.randint(0, 4)
        windows.append((day * 1440 + start, 60 * rng.randint(2, 4)))
    if rng.random() < 0.5:  # one weekend block
        start = 10 * 60 + 30 * rng.randint(0, 5)
        windows.append((rng.randint(5, 6) * 1440 + start, 60 * rng.randint(3, 5)))
    if rng.random() < 0.15:  # lunch breaks
        for day in rng.sample(range(5), 2):
            windows.append((day * 1440 + 12 * 60, 90))
    minutes: set[int] = set()
    for begin, length in windows:
        for s in range(begin, begin + length - 60 + 1, 30):
            utc = int(s - offset * 60) % (7 * 1440)  # wrap into the coming week
            minutes.add(utc)
    out = []
    for m in sorted(minutes):
        when = cache.get(m)
        if when is None:
            when = cache[m] = NOW + timedelta(minutes=m)
        out.append(when)
    return tuple(out)


def generate(n_requests: int, seed: int) -> MatchInput:
    """A realistic community with ``n_requests`` open requests."""
    rng = random.Random(seed * 1_000_003 + n_requests)
    cache: dict[int, datetime] = {}
    requests: list[MatchRequest] = []
    members: list[tuple[str, str, str, float]] = []  # id, track, type, offset
    by_type: dict[str, list[str]] = {}
    k = 0
    while len(requests) < n_requests:
        member = f"m{k:06d}"
        k += 1
        offset = float(_pick(rng, TIME_ZONES))
        track = str(_pick(rng, TRACKS))
        level = rng.choices(range(4), weights=(25, 35, 28, 12))[0]
        role = rng.choices(("swap", "candidate", "interviewer"), weights=(78, 14, 8))[0]
        if role == "interviewer":
            level = max(level, 2)
        local = LOCAL_LANGUAGE.get(offset)
        if local and rng.random() < 0.08:
            languages = frozenset({local})
        elif local and rng.random() < 0.4:
            languages = frozenset({"en", local})
        else:
            languages = frozenset({"en"})
        reliability = 1.0 if rng.random() < 0.88 else round(rng.uniform(0.4, 0.95), 2)
        given = rng.randint(0, 6) + (4 if role == "interviewer" else 0)
        taken = rng.randint(0, 6)
        starts = _starts(rng, offset, cache)
        busy: tuple[tuple[datetime, datetime], ...] = ()
        if starts and rng.random() < 0.1:
            b = rng.choice(starts)
            busy = ((b, b + timedelta(minutes=60)),)
        types = [str(_pick(rng, TYPES_BY_TRACK[track]))]
        if rng.random() < 0.08:
            extra = str(_pick(rng, TYPES_BY_TRACK[track]))
            if extra not in types:
                types.append(extra)
        for t in types:
            if len(requests) >= n_requests:
                break
            waited = min(rng.expovariate(1 / 1.5), 21.0)
            left = 0 if rng.random() < 0.75 else rng.randint(1, 4)
            requests.append(
                MatchRequest(
                    request_id=f"q{len(requests):06d}",
                    member_id=member,
                    interview_type=t,
                    role=role,
                    track=track,
                    level=level,
                    languages=languages,
                    start_times=starts,
                    created_at=NOW - timedelta(days=waited),
                    times_left_out=left,
                    reliability=reliability,
                    given_as_interviewer=given,
                    taken_as_candidate=taken,
                    busy=busy,
                )
            )
            by_type.setdefault(t, []).append(member)
        members.append((member, track, types[0], offset))
    # A few confidential blocks and a history of past pairings inside each type.
    blocked: dict[str, str] = {}
    history: dict[frozenset[str], datetime] = {}
    for member, _track, t, _off in members:
        peers = by_type[t]
        if rng.random() < 0.015 and len(peers) > 1:
            blocked[member] = rng.choice(peers)
        if rng.random() < 0.6 and len(peers) > 1:
            for _ in range(rng.randint(1, 3)):
                other = rng.choice(peers)
                if other != member:
                    history[pair_key(member, other)] = NOW - timedelta(days=rng.uniform(1, 120))
    if blocked:
        requests = [
            MatchRequest(**{**_fields(r), "blocked": frozenset({blocked[r.member_id]})})
            if r.member_id in blocked
            else r
            for r in requests
        ]
    return MatchInput(
        requests=tuple(requests),
        now=NOW,
        history=history,
        neighbour_tracks=NEIGHBOURS,
        seed=seed,
        next_round_at=NOW + timedelta(days=1),
    )


def _fields(r: MatchRequest) -> dict[str, Any]:
    return {name: getattr(r, name) for name in MatchRequest.__slots__}
