"""Plain data in and out of the PeerLoop matcher.

Everything here is a frozen dataclass of built-in types, so the core can build the
input from its own models and read the output without the matcher knowing about
chat platforms, the database or the scheduler.

Times: every datetime given to the matcher must be timezone-aware; the matcher
works internally in integer *epoch minutes* (UTC) and hands back aware UTC
datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Literal

Role = Literal["swap", "candidate", "interviewer"]
"""A member's role preference: ``swap`` (each interviews the other), ``candidate`` only,
or ``interviewer`` only. Enum members whose value is one of these strings are accepted."""

ROLES: Final[tuple[str, ...]] = ("swap", "candidate", "interviewer")

Mode = Literal["swap", "one-way"]


def _plain(value: object) -> str:
    """Return the plain string behind ``value`` (accepts ``str`` enums from the core)."""
    inner = getattr(value, "value", value)
    if not isinstance(inner, str):
        raise TypeError(f"expected a string, got {value!r}")
    return inner


def _require_aware(name: str, when: datetime) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {when!r}")


def pair_key(member_a: str, member_b: str) -> frozenset[str]:
    """The key of ``MatchInput.history`` for two members (order does not matter)."""
    return frozenset((member_a, member_b))


@dataclass(frozen=True, slots=True)
class MatchRequest:
    """One open request for a mock interview: a node of the matching.

    ``start_times`` are the candidate session starts (aware datetimes on the core's
    30-minute grid): at each of them the whole session fits the member's weekly
    availability. ``busy`` holds already booked sessions ``(start, end)``; a start
    whose session would overlap one of them is not used.

    ``blocked`` is confidential: member ids this member never wants to meet. It is
    honoured in both directions and never shows up in any reason text.

    ``interviewer_rating`` (0..1) is how candidates rate this member as an interviewer,
    already smoothed by the caller (0 when unknown: it then adds nothing). Like
    ``blocked`` it never shows up in a reason text.

    ``candidate_need`` (0..1) is how much this member needs a good interviewer when they are
    the candidate (few sessions so far, weak recent verdicts; the caller says): it pairs with
    the interviewer's rating in the mentoring term, so good interviewers go where they help
    most. 0 (the default) adds nothing.
    """

    request_id: str
    member_id: str
    interview_type: str
    role: str
    track: str
    level: int
    start_times: tuple[datetime, ...]
    created_at: datetime
    languages: frozenset[str] = frozenset()
    times_left_out: int = 0
    reliability: float = 1.0
    given_as_interviewer: int = 0
    taken_as_candidate: int = 0
    blocked: frozenset[str] = frozenset()
    busy: tuple[tuple[datetime, datetime], ...] = ()
    interviewer_rating: float = 0.0
    candidate_need: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "interview_type", _plain(self.interview_type))
        object.__setattr__(self, "track", _plain(self.track))
        role = _plain(self.role)
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        object.__setattr__(self, "role", role)
        if not 0 <= self.level <= 3:
            raise ValueError(f"level must be 0 (junior) .. 3 (staff+), got {self.level}")
        if not 0.0 <= self.reliability <= 1.0:
            raise ValueError(f"reliability must be within 0..1, got {self.reliability}")
        if not 0.0 <= self.interviewer_rating <= 1.0:
            raise ValueError(
                f"interviewer_rating must be within 0..1, got {self.interviewer_rating}"
            )
        if not 0.0 <= self.candidate_need <= 1.0:
            raise ValueError(f"candidate_need must be within 0..1, got {self.candidate_need}")
        if self.times_left_out < 0 or self.given_as_interviewer < 0 or self.taken_as_candidate < 0:
            raise ValueError("counters must not be negative")
        _require_aware("created_at", self.created_at)
        object.__setattr__(self, "start_times", tuple(self.start_times))
        for when in self.start_times:
            _require_aware("start_times", when)
        for start, end in self.busy:
            _require_aware("busy", start)
            _require_aware("busy", end)
        object.__setattr__(self, "languages", frozenset(self.languages))
        object.__setattr__(self, "blocked", frozenset(self.blocked))


Candidate = MatchRequest
"""Alias: the matcher's node is one open request of one member."""


@dataclass(frozen=True, slots=True)
class Weights:
    """Tunable score of a compatible pair, in integer points (higher is better).

    score = base
          + track (same / neighbouring / other)
          + level closeness (by level difference)
          + wait and left-out priority of both requests
          + earliest common day (decays linearly over ``slot_horizon_days``)
          + reliability (``reliability * r_a * r_b``)
          + balance (members who gave more interviews than they took, when they are a candidate)
          + interviewer rating (``interviewer_rating * rating`` for each member who interviews
            in the pair: both in a swap, the interviewer in a one-way session)
          + mentoring (``mentoring * rating(interviewer) * need(candidate)`` for each direction
            in which one member interviews the other: a well-rated interviewer with a
            candidate who needs one)
          - repeat penalty (``repeat_penalty * 0.5 ** (days_since / repeat_half_life_days)``)

    The matcher first makes as many pairs as possible and then maximises the total
    score, so ``base`` only keeps every score positive; it must exceed
    ``repeat_penalty``.
    """

    base: int = 1000
    same_track: int = 300
    neighbour_track: int = 150
    level_closeness: tuple[int, ...] = (200, 150, 50, 0)
    repeat_penalty: int = 600
    repeat_half_life_days: float = 14.0
    wait_per_day: int = 20
    wait_cap_days: int = 14
    left_out_bonus: int = 150
    left_out_cap: int = 5
    earliest_day: int = 100
    slot_horizon_days: int = 7
    reliability: int = 200
    balance_per_session: int = 25
    balance_cap: int = 4
    interviewer_rating: int = 150
    mentoring: int = 200
    tie_break_jitter: bool = True

    def __post_init__(self) -> None:
        ints = (
            self.base,
            self.same_track,
            self.neighbour_track,
            self.repeat_penalty,
            self.wait_per_day,
            self.wait_cap_days,
            self.left_out_bonus,
            self.left_out_cap,
            self.earliest_day,
            self.slot_horizon_days,
            self.reliability,
            self.balance_per_session,
            self.balance_cap,
            self.interviewer_rating,
            self.mentoring,
            *self.level_closeness,
        )
        if any(v < 0 for v in ints):
            raise ValueError("weights must not be negative")
        if not self.level_closeness:
            raise ValueError("level_closeness needs at least one entry")
        if self.base <= self.repeat_penalty:
            raise ValueError("base must exceed repeat_penalty so every score stays positive")
        if self.repeat_half_life_days <= 0 or self.slot_horizon_days <= 0:
            raise ValueError("half-life and horizon must be positive")
        bound = (
            self.base
            + self.same_track
            + max(self.level_closeness)
            + 2 * (self.wait_per_day * self.wait_cap_days + self.left_out_bonus * self.left_out_cap)
            + self.earliest_day
            + self.reliability
            + 2 * self.balance_per_session * self.balance_cap
            + 2 * self.interviewer_rating
            + 2 * self.mentoring
        )
        if bound >= 2**31:
            raise ValueError("weights are too large; keep a pair's score below 2**31")

    def level_points(self, difference: int) -> int:
        table = self.level_closeness
        return table[min(difference, len(table) - 1)]


@dataclass(frozen=True, slots=True)
class MatchInput:
    """Everything one matching round needs.

    ``history`` maps ``pair_key(a, b)`` to when members a and b were last paired.
    ``neighbour_tracks`` maps a track to its neighbouring tracks (the relation is made
    symmetric). ``next_round_at`` is when the next round runs (used in the reasons
    given to members left out). ``seed`` only breaks exact ties between equally good
    matchings; the same input and seed always give the same result.

    Interview types with at most ``exact_up_to`` active requests are solved on the full
    compatibility graph (provably optimal). Larger ones keep, per request, its best
    ``prune_degree`` partners by pair score, its ``band_partners`` best within its own
    reliability band and a few random ones (an edge stays when either end keeps it);
    ``prune_degree=None`` never prunes. Pruned types with more than ``split_above`` active
    requests are solved track by track, then across tracks (``solve.solve_by_track``: the
    solver's time grows with the square of a graph's size). See docs/matching.md for what
    pruning and splitting cost, measured.
    """

    requests: tuple[MatchRequest, ...]
    now: datetime
    history: Mapping[frozenset[str], datetime] = field(default_factory=dict)
    weights: Weights = field(default_factory=Weights)
    neighbour_tracks: Mapping[str, frozenset[str]] = field(default_factory=dict)
    session_minutes: int = 60
    seed: int = 0
    next_round_at: datetime | None = None
    require_common_language: bool = True
    prune_degree: int | None = 24
    exact_up_to: int = 500
    band_partners: int = 4
    split_above: int = 1000

    def __post_init__(self) -> None:
        object.__setattr__(self, "requests", tuple(self.requests))
        _require_aware("now", self.now)
        if self.next_round_at is not None:
            _require_aware("next_round_at", self.next_round_at)
        if self.session_minutes <= 0:
            raise ValueError("session_minutes must be positive")
        if self.prune_degree is not None and self.prune_degree < 1:
            raise ValueError("prune_degree must be at least 1 (or None for the full graph)")
        if self.band_partners < 0:
            raise ValueError("band_partners must not be negative")
        if self.split_above < 0:
            raise ValueError("split_above must not be negative")
        ids = [r.request_id for r in self.requests]
        if len(set(ids)) != len(ids):
            raise ValueError("request ids must be unique")


@dataclass(frozen=True, slots=True)
class Pair:
    """A session the matcher proposes.

    ``mode`` is ``swap`` (both interview, ``interviewer_first`` starts as interviewer)
    or ``one-way`` (``interviewer_first`` interviews ``candidate_first`` only).
    ``weight`` is the pair's score; ``breakdown`` lists its parts and ``reasons``
    says the same for people: shared reasons only, fit for both members to read (no
    times, which the core shows in each member's zone, and nothing about one member).
    ``waited_days`` is how many whole days each request (in ``request_ids`` order) had
    waited: the caller tells only the member it concerns.
    """

    request_ids: tuple[str, str]
    member_ids: tuple[str, str]
    interview_type: str
    start: datetime
    end: datetime
    mode: Mode
    interviewer_first: str
    candidate_first: str
    weight: int
    breakdown: tuple[tuple[str, int], ...]
    reasons: tuple[str, ...]
    waited_days: tuple[int, int] = (0, 0)


UnmatchedCode = Literal[
    "no_free_times",
    "no_one_else_for_type",
    "no_shared_times",
    "no_common_language",
    "roles_do_not_fit",
    "levels_do_not_fit",
    "only_blocked_fit",
    "no_suitable_partner",
    "everyone_compatible_paired",
    "member_already_paired",
    "other_request_this_round",
]


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A request left open this round, with why and when it gets another chance.

    ``text`` is the reason, with no time in it; ``next_chance`` is the next round (when
    the core said when that is), for the core to show in the member's zone;
    ``next_slot`` is the request's first start time at or after it, if any.
    """

    request_id: str
    member_id: str
    code: UnmatchedCode
    text: str
    next_chance: datetime | None
    next_slot: datetime | None


@dataclass(frozen=True, slots=True)
class MatchStats:
    """How big the round was (deterministic; no timings)."""

    requests: int
    active_requests: int
    compatible_pairs: int
    kept_pairs: int
    components: int
    largest_component: int
    total_weight: int
    #: The pairs made are proven to be as many as the round allows: every interview type was
    #: solved on its full graph, or the pruned solution leaves at most one request unpaired
    #: in each component of the full compatibility graph (``engine.pairs_proven``).
    max_pairs_proven: bool = True
    #: Interview types solved on the full graph (the exact optimum) and on a pruned one.
    exact_types: int = 0
    pruned_types: int = 0
    #: Of the pruned types, those solved track by track (``MatchInput.split_above``).
    split_types: int = 0


@dataclass(frozen=True, slots=True)
class MatchResult:
    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    stats: MatchStats

    @property
    def total_weight(self) -> int:
        return sum(p.weight for p in self.pairs)


def to_minutes(when: datetime) -> int:
    """Aware datetime -> integer epoch minutes (UTC), rounding down."""
    return int(when.timestamp()) // 60


def from_minutes(minutes: int) -> datetime:
    """Integer epoch minutes -> aware UTC datetime."""
    return datetime.fromtimestamp(minutes * 60, tz=UTC)
