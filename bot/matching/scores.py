"""The score parts and hard rules of one pair of requests, as plain functions.

Roles and levels decide who interviews whom (``role_mode``, ``level_allows``); tracks,
the earliest common day, reliability, ratings (and who needs a good interviewer), waiting and past pairings give points.
``class_tables`` turns the role/level/track rules into the small tables the compatibility
graph (``bot.matching.graph``) looks pairs up in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.matching.model import Weights

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float32]
AnyArray = npt.NDArray[Any]

ROLE_INDEX = {"swap": 0, "candidate": 1, "interviewer": 2}

# Session modes in the class tables.
INVALID, SWAP, ROW_INTERVIEWS, COL_INTERVIEWS = -1, 0, 1, 2


def role_mode(role_a: str, role_b: str) -> int:
    """Who interviews whom when a request with ``role_a`` meets one with ``role_b``.

    swap+swap -> swap; a one-way preference meets swap or the opposite one-way
    preference -> one-way; candidate+candidate and interviewer+interviewer -> invalid.
    """
    if role_a == "swap" and role_b == "swap":
        return SWAP
    if role_a == "candidate":
        return COL_INTERVIEWS if role_b in ("swap", "interviewer") else INVALID
    if role_a == "interviewer":
        return ROW_INTERVIEWS if role_b in ("swap", "candidate") else INVALID
    # role_a is swap, role_b is one-way
    return ROW_INTERVIEWS if role_b == "candidate" else COL_INTERVIEWS


def level_allows(mode: int, level_a: int, level_b: int) -> bool:
    """One-way sessions: the interviewer is at most one level below the candidate."""
    if mode == ROW_INTERVIEWS:
        return level_a >= level_b - 1
    if mode == COL_INTERVIEWS:
        return level_b >= level_a - 1
    return mode == SWAP


def track_relation(track_a: str, track_b: str, neighbours: Mapping[str, frozenset[str]]) -> int:
    """2 = same track, 1 = neighbouring tracks, 0 = other."""
    if track_a == track_b:
        return 2
    if track_b in neighbours.get(track_a, frozenset()) or track_a in neighbours.get(
        track_b, frozenset()
    ):
        return 1
    return 0


def repeat_points(weights: Weights, days_since: float) -> int:
    """The repeat penalty (positive points subtracted) for a pair last met ``days_since`` ago."""
    days = max(0.0, days_since)
    factor: float = 0.5 ** (days / weights.repeat_half_life_days)
    return round(weights.repeat_penalty * factor)


def day_points(weights: Weights, day: int) -> int:
    """Points for a pair whose earliest common start is on day ``day`` (0 = the next 24 h)."""
    share = max(0.0, 1.0 - day / weights.slot_horizon_days)
    return round(weights.earliest_day * share)


def wait_points(weights: Weights, days_waited: float) -> int:
    return round(min(max(days_waited, 0.0), float(weights.wait_cap_days)) * weights.wait_per_day)


def left_out_points(weights: Weights, times: int) -> int:
    return min(times, weights.left_out_cap) * weights.left_out_bonus


def balance_points(weights: Weights, given: int, taken: int) -> int:
    """Candidate priority of a member who has interviewed others more than they were interviewed."""
    return min(max(given - taken, 0), weights.balance_cap) * weights.balance_per_session


def reliability_quanta(reliability: float) -> int:
    return round(reliability * 100)


def reliability_points(weights: Weights, q_a: int, q_b: int) -> int:
    return (weights.reliability * q_a * q_b) // 10_000


def reliability_band(quanta: int) -> int:
    """Reliability bands for pruning: 4 = fully reliable, else a quarter of the scale each."""
    return 4 if quanta >= 100 else max(0, quanta) // 25


def rating_quanta(rating: float) -> int:
    return round(rating * 100)


def rating_points(weights: Weights, rating: float) -> int:
    """Points a member brings to a pair in which they interview (0..``interviewer_rating``)."""
    return (weights.interviewer_rating * rating_quanta(rating)) // 100


def need_quanta(need: float) -> int:
    return round(need * 100)


def mentoring_points(weights: Weights, rating_q: int, need_q: int) -> int:
    """Points of one direction of a pair: an interviewer rated ``rating_q`` (hundredths)
    interviewing a candidate whose need is ``need_q`` (hundredths); 0..``mentoring``."""
    return (weights.mentoring * rating_q * need_q) // 10_000


def tie_hash(seed: int, request_id: str) -> int:
    digest = hashlib.blake2b(f"{seed}\x00{request_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def class_tables(
    tracks: tuple[str, ...], weights: Weights, neighbours: Mapping[str, frozenset[str]]
) -> tuple[AnyArray, BoolArray, AnyArray]:
    """Mode, role-fit and base+track+level score tables over classes (track, role, level).

    Class ``(t * 3 + role) * 4 + level``: the role/level part repeats for every pair of
    tracks, so it is computed once (12 x 12) and tiled; the track part is a block each.
    """
    roles = ("swap", "candidate", "interviewer")
    mode12 = np.full((12, 12), INVALID, dtype=np.int8)
    role12 = np.zeros((12, 12), dtype=np.bool_)
    level12 = np.zeros((12, 12), dtype=np.int32)
    for ra, role_a in enumerate(roles):
        for rb, role_b in enumerate(roles):
            mode = role_mode(role_a, role_b)
            for la in range(4):
                for lb in range(4):
                    a, b = ra * 4 + la, rb * 4 + lb
                    role12[a, b] = mode != INVALID
                    if level_allows(mode, la, lb):
                        mode12[a, b] = mode
                    level12[a, b] = weights.level_points(abs(la - lb))
    count = len(tracks)
    track_pts = (0, weights.neighbour_track, weights.same_track)
    by_track = np.asarray(
        [[track_pts[track_relation(a, b, neighbours)] for b in tracks] for a in tracks],
        dtype=np.int32,
    ).reshape(count, count)
    score = np.kron(by_track, np.ones((12, 12), dtype=np.int32)) + np.tile(level12, (count, count))
    score += weights.base
    return (
        np.tile(mode12, (count, count)),
        np.tile(role12, (count, count)),
        score.astype(np.int32),
    )
