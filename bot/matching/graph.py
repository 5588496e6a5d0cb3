"""The compatibility graph of one matching round, built with vectorised numpy.

Requests are bucketed by interview type (pairs never cross types). Inside a bucket
the pair scores are computed block by block (``_BLOCK`` rows against the whole
bucket) from dense arrays: start times binned by day (one small matrix product per
day finds whether two requests share a start and on which day first), a class table
for role/level/track, and sparse corrections for blocks and past pairings.

Each request keeps its ``prune_degree`` best partners (by the pair part of the score,
ties broken by the seeded hash); an edge is kept when either end keeps it. With
``prune_degree=None`` every compatible pair is an edge.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.matching.model import MatchRequest, Weights

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float32]
AnyArray = npt.NDArray[Any]

_BLOCK = 256
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


@dataclass(frozen=True, slots=True)
class Prepared:
    """Per request, in input order: usable starts (epoch minutes) and node priority."""

    requests: Sequence[MatchRequest]
    starts: Sequence[tuple[int, ...]]
    priority: Sequence[int]
    now_minute: int


@dataclass(slots=True)
class Bucket:
    """Dense arrays for the requests (global indices ``index``) of one interview type."""

    index: IntArray
    member: IntArray
    cls: IntArray
    priority: IntArray
    rel_q: IntArray
    band: IntArray
    bal: IntArray
    rated: IntArray
    jitter: IntArray
    tie_order: IntArray
    day_slots: list[FloatArray]
    lang: FloatArray | None
    mode_table: AnyArray
    role_table: BoolArray
    score_table: AnyArray
    day_bonus: IntArray
    day_bonus32: AnyArray
    dup_members: bool
    blocked: tuple[IntArray, IntArray]
    repeat: tuple[IntArray, IntArray, IntArray]
    weights: Weights

    @property
    def size(self) -> int:
        return int(self.index.shape[0])


@dataclass(frozen=True, slots=True)
class Edges:
    """Kept edges of one bucket, in bucket-local indices, ``u < v``, with exact weights."""

    u: IntArray
    v: IntArray
    weight: IntArray
    compatible_pairs: int
    #: Every compatible pair was kept (no pruning): the solver sees the full graph.
    full: bool = True
    #: Per bucket row, how many compatible partners it has in the full graph.
    degree: IntArray | None = None


def _empty_int() -> IntArray:
    return np.zeros(0, dtype=np.int64)


def build_bucket(
    prepared: Prepared,
    index: Sequence[int],
    *,
    weights: Weights,
    neighbours: Mapping[str, frozenset[str]],
    repeat: Sequence[tuple[int, int, int]],
    seed: int,
    require_common_language: bool,
    member_codes: Mapping[str, int],
) -> Bucket:
    """Arrays of one interview type's requests (``index``: global request indices).

    ``repeat`` lists ``(member code, member code, penalty points)`` of past pairings.
    """
    reqs = [prepared.requests[i] for i in index]
    n = len(reqs)
    idx = np.asarray(index, dtype=np.int64)
    member = np.asarray([member_codes[r.member_id] for r in reqs], dtype=np.int64)

    tracks = sorted({r.track for r in reqs})
    track_of = {t: k for k, t in enumerate(tracks)}
    # class = (track, role, level)
    cls = np.asarray(
        [(track_of[r.track] * 3 + ROLE_INDEX[r.role]) * 4 + r.level for r in reqs], dtype=np.int64
    )
    mode_table, role_table, score_table = class_tables(tuple(tracks), weights, neighbours)

    priority = np.asarray([prepared.priority[i] for i in index], dtype=np.int64)
    rel_q = np.asarray([reliability_quanta(r.reliability) for r in reqs], dtype=np.int64)
    bal = np.asarray(
        [balance_points(weights, r.given_as_interviewer, r.taken_as_candidate) for r in reqs],
        dtype=np.int64,
    )
    rated = np.asarray([rating_points(weights, r.interviewer_rating) for r in reqs], dtype=np.int64)
    hashes = [tie_hash(seed, r.request_id) for r in reqs]
    jitter = np.asarray([h & 0xFF for h in hashes], dtype=np.int64)
    # The solver breaks ties between equally good matchings by node order: seeded.
    seeded = sorted(range(n), key=lambda row: (hashes[row], row))
    tie_order = np.empty(n, dtype=np.int64)
    tie_order[seeded] = np.arange(n, dtype=np.int64)

    # Start times binned by day from now: one 0/1 matrix per day.
    starts = [prepared.starts[i] for i in index]
    all_minutes = sorted({m for s in starts for m in s})
    now = prepared.now_minute
    day_of = {m: (m - now) // 1440 for m in all_minutes}
    n_days = (max(day_of.values()) + 1) if all_minutes else 0
    col_in_day: dict[int, int] = {}
    width = [0] * n_days
    for m in all_minutes:
        d = day_of[m]
        col_in_day[m] = width[d]
        width[d] += 1
    day_slots = [np.zeros((n, w), dtype=np.float32) for w in width]
    for row, s in enumerate(starts):
        for m in s:
            day_slots[day_of[m]][row, col_in_day[m]] = 1.0
    day_slots = [d if d.shape[1] else np.zeros((n, 1), dtype=np.float32) for d in day_slots]
    day_bonus = np.asarray([day_points(weights, d) for d in range(max(n_days, 1))], dtype=np.int64)

    lang: FloatArray | None = None
    if require_common_language:
        langs = sorted({lg for r in reqs for lg in r.languages})
        distinct = {r.languages for r in reqs}
        if len(langs) > 1 and len(distinct) > 1:
            lang_of = {lg: k for k, lg in enumerate(langs)}
            lang = np.zeros((n, len(langs)), dtype=np.float32)
            for row, r in enumerate(reqs):
                if r.languages:
                    lang[row, [lang_of[lg] for lg in r.languages]] = 1.0
                else:  # no language given: speaks with anyone
                    lang[row, :] = 1.0

    # Sparse corrections, in bucket-local indices (both directions).
    local_of_member: dict[int, list[int]] = {}
    for row, code in enumerate(member.tolist()):
        local_of_member.setdefault(code, []).append(row)
    dup_members = any(len(rows) > 1 for rows in local_of_member.values())
    bi: list[int] = []
    bj: list[int] = []
    for row, r in enumerate(reqs):
        for other in sorted(r.blocked):
            code = member_codes.get(other)
            if code is None:
                continue
            for col in local_of_member.get(code, ()):
                bi += (row, col)
                bj += (col, row)
    ri: list[int] = []
    rj: list[int] = []
    rp: list[int] = []
    for ca, cb, pen in repeat:
        for x in local_of_member.get(ca, ()):
            for y in local_of_member.get(cb, ()):
                ri += (x, y)
                rj += (y, x)
                rp += (pen, pen)
    return Bucket(
        index=idx,
        member=member,
        cls=cls,
        priority=priority,
        rel_q=rel_q,
        band=np.asarray([reliability_band(int(q)) for q in rel_q.tolist()], dtype=np.int64),
        bal=bal,
        rated=rated,
        jitter=jitter,
        tie_order=tie_order,
        day_slots=day_slots,
        lang=lang,
        mode_table=mode_table,
        role_table=role_table,
        score_table=score_table,
        day_bonus=day_bonus,
        day_bonus32=day_bonus.astype(np.int32),
        dup_members=dup_members,
        blocked=(np.asarray(bi, dtype=np.int64), np.asarray(bj, dtype=np.int64)),
        repeat=(
            np.asarray(ri, dtype=np.int64),
            np.asarray(rj, dtype=np.int64),
            np.asarray(rp, dtype=np.int64),
        ),
        weights=weights,
    )


@dataclass(frozen=True, slots=True)
class Block:
    """Scores of the bucket rows ``rows`` against the whole bucket."""

    rows: IntArray
    first_day: AnyArray  # int8, -1 = no common start
    lang_ok: BoolArray | None
    mode: AnyArray  # int8, INVALID where roles or levels do not fit
    ok: BoolArray  # every hard rule holds
    pair: AnyArray  # int32, the symmetric pair part: base, track, level, day, reliability, repeat


def _select(src: IntArray, rows: IntArray) -> tuple[BoolArray, IntArray]:
    """Which entries of ``src`` are among the sorted ``rows``, and their positions in it."""
    pos = np.searchsorted(rows, src)
    pos = np.minimum(pos, rows.shape[0] - 1)
    sel = rows[pos] == src
    return sel, pos[sel]


def score_block(b: Bucket, rows: IntArray) -> Block:
    """Hard rules and exact scores of the (sorted) bucket rows ``rows`` against the bucket."""
    n = b.size
    m = int(rows.shape[0])
    first_day = np.full((m, n), -1, dtype=np.int8)
    for d in range(len(b.day_slots) - 1, -1, -1):
        mat = b.day_slots[d]
        common = mat[rows] @ mat.T
        first_day[common > 0.5] = d
    ok = first_day >= 0
    lang_ok: BoolArray | None = None
    if b.lang is not None:
        lang_ok = (b.lang[rows] @ b.lang.T) > 0.5
        ok &= lang_ok
    ci = b.cls[rows, None]
    cj = b.cls[None, :]
    mode = b.mode_table[ci, cj]
    ok &= mode >= 0
    if b.dup_members:
        ok &= b.member[rows, None] != b.member[None, :]
    else:
        ok[np.arange(m), rows] = False
    bi, bj = b.blocked
    if bi.size:
        sel, pos = _select(bi, rows)
        ok[pos, bj[sel]] = False

    pair = b.score_table[ci, cj]  # int32: base + track + level
    pair += b.day_bonus32[np.maximum(first_day, 0)]
    pair += (b.rel_q[rows, None] * b.rel_q[None, :] * b.weights.reliability // 10_000).astype(
        np.int32
    )
    ri, rj, rp = b.repeat
    if ri.size:
        sel, pos = _select(ri, rows)
        np.subtract.at(pair, (pos, rj[sel]), rp[sel].astype(np.int32))
    return Block(rows=rows, first_day=first_day, lang_ok=lang_ok, mode=mode, ok=ok, pair=pair)


def block_weights(b: Bucket, blk: Block, rr: IntArray, cc: IntArray) -> IntArray:
    """The exact scores of the block entries ``(rr, cc)``: the pair part plus both
    requests' priorities plus the balance points of whoever is a candidate plus the
    rating points of whoever interviews."""
    mode = blk.mode[rr, cc]
    rows = blk.rows[rr]
    weight = blk.pair[rr, cc].astype(np.int64) + b.priority[rows] + b.priority[cc]
    weight += np.where(mode == ROW_INTERVIEWS, 0, b.bal[rows])
    weight += np.where(mode == COL_INTERVIEWS, 0, b.bal[cc])
    weight += np.where(mode == COL_INTERVIEWS, 0, b.rated[rows])
    weight += np.where(mode == ROW_INTERVIEWS, 0, b.rated[cc])
    return weight


def blocks(n: int) -> Iterable[IntArray]:
    for r0 in range(0, n, _BLOCK):
        yield np.arange(r0, min(n, r0 + _BLOCK), dtype=np.int64)


#: Partners kept per request within its own reliability band (``reliability_band``), the best
#: by the pair part of the score (the default of ``MatchInput.band_partners``). The reliability
#: term makes a flaky member's best partners the reliable ones, while the optimum pairs flaky
#: members with each other; without these, pruning cut most of those pairs (96 % of the gap
#: to the optimum at 10,000 requests: 99.9475 % of it before, 99.982 % with them).
BAND_PARTNERS = 4

#: Extra partners kept per request when pruning, picked by the seeded hash alone: a few
#: random compatible partners keep the kept graph connected, so pruning does not split a
#: group into odd parts and cost pairs (without them a clustered test instance lost 2 of
#: 20 pairs at ``prune_degree=4``). Two are enough; more cost solver time (docs/matching.md).
RANDOM_PARTNERS = 2


def bucket_edges(
    b: Bucket, prune_degree: int | None, jitter: bool = True, band_partners: int = BAND_PARTNERS
) -> Edges:
    """The kept edges of a bucket (see module doc) with their exact weights.

    Pruning keeps, for each request, its ``prune_degree`` best partners by the pair part
    of the score (track, level, earliest common day, reliability, repeat penalty; not the
    partner's own priority, which would send everybody to the same few long-waiting
    requests), its ``band_partners`` best within its reliability band, and
    ``RANDOM_PARTNERS`` random compatible partners; an edge stays when either end keeps it. Equal pair parts are ranked by the seeded hash (``jitter``),
    or by position without it.
    """
    n = b.size
    keys: list[IntArray] = []
    vals: list[IntArray] = []
    compatible = 0
    extra = RANDOM_PARTNERS
    banded = band_partners
    full = prune_degree is None or prune_degree + extra + banded >= n - 1
    degree = np.zeros(n, dtype=np.int64)
    for rows in blocks(n):
        r0 = int(rows[0])
        blk = score_block(b, rows)
        ok = blk.ok
        row_degree = np.count_nonzero(ok, axis=1)
        degree[r0 : r0 + rows.shape[0]] = row_degree
        compatible += int(row_degree.sum())
        if full:
            rr, cc = np.nonzero(ok)
        else:
            assert prune_degree is not None
            k = prune_degree
            jit = (
                (b.jitter[rows, None] ^ b.jitter[None, :]).astype(np.int32)
                if jitter
                else np.zeros((1, 1), dtype=np.int32)
            )
            # int32 when it fits (default weights: pair part < 2**12): argpartition is faster
            wide = int(blk.pair.max(initial=0)) >= 1 << 22
            rank = blk.pair.astype(np.int64) * 256 + jit if wide else blk.pair * 256 + jit
            rank[~ok] = -1
            parts = [np.argpartition(-rank, k - 1, axis=1)[:, :k]]
            if extra:
                rand = np.where(ok, b.jitter[rows, None] ^ b.jitter[None, :], -1)
                parts.append(np.argpartition(-rand, extra - 1, axis=1)[:, :extra])
            if banded:
                same = b.band[rows, None] == b.band[None, :]
                rank[~same] = -1
                parts.append(np.argpartition(-rank, banded - 1, axis=1)[:, :banded])
            cols = np.concatenate(parts, axis=1)
            rr = np.repeat(np.arange(rows.shape[0]), cols.shape[1])
            cc = cols.reshape(-1)
            keep = ok[rr, cc]
            if banded:
                # a row with fewer band partners than ``banded`` got others there: not kept
                tail = np.zeros(cols.shape, dtype=np.bool_)
                tail[:, cols.shape[1] - banded :] = True
                keep &= ~tail.reshape(-1) | same[rr, cc]
            rr, cc = rr[keep], cc[keep]
        g_r = rr.astype(np.int64) + r0
        g_c = cc.astype(np.int64)
        lo = np.minimum(g_r, g_c)
        hi = np.maximum(g_r, g_c)
        keys.append(lo * n + hi)
        vals.append(block_weights(b, blk, rr, cc))
    if not keys:
        return Edges(_empty_int(), _empty_int(), _empty_int(), 0, full, degree)
    key = np.concatenate(keys)
    val = np.concatenate(vals)
    key, first = np.unique(key, return_index=True)
    return Edges(u=key // n, v=key % n, weight=val[first], compatible_pairs=compatible // 2,
                 full=full, degree=degree)


def joins_components(b: Bucket, label: IntArray) -> bool:
    """Whether any compatible pair of the bucket joins two rows with different ``label``s."""
    for rows in blocks(b.size):
        ok = score_block(b, rows).ok
        if np.any(ok & (label[rows, None] != label[None, :])):
            return True
    return False


def any_partner(b: Bucket, rows: Sequence[int]) -> BoolArray:
    """For the given bucket rows: does any other member's request fit every hard rule?"""
    picked = np.asarray(sorted(set(rows)), dtype=np.int64)
    out = np.zeros(0, dtype=np.bool_)
    parts: list[BoolArray] = [out]
    for start in range(0, picked.shape[0], _BLOCK):
        blk = score_block(b, picked[start : start + _BLOCK])
        parts.append(np.asarray(blk.ok.any(axis=1), dtype=np.bool_))
    return np.concatenate(parts)
